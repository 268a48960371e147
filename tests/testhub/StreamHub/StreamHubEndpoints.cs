using System.Text.Json;
using Microsoft.AspNetCore.SignalR;

namespace TestHub.StreamHubStandIn;

// How tests steer the stand-in over plain HTTP:
//   GET  /streamhub-test/received[?method=M&since=N]  what engines sent, in order
//   GET  /streamhub-test/engines                     connected engine ids
//   POST /streamhub-test/invoke/{engineId}/{method}  body: the argument (JSON); the engine's
//                                                    CommandResult, as StreamHub calls it (client result, 5 s)
//   POST /streamhub-test/refuse/{on}                 RegisterEngineConnection answers false
//   POST /streamhub-test/stop-reading[?ms=N]         hub methods wait (then run in arrival order) until
//                                                    /resume-reading, or by themselves after N > 0 ms
//   POST /streamhub-test/resume-reading
//   POST /streamhub-test/reset                       forget what was received (not the views)
//   GET  /streamhub-test/view/{engineId}             the workers as StreamHub applied them: per worker the
//                                                    last applied message; a worker message not newer
//                                                    (Timestamp ticks <=) than that worker's last applied
//                                                    one is discarded:
//                                                    {workers: [WorkerChangeEvent, by workerId], discarded: N,
//                                                     discards: [{method, workerId, timestamp, ticks,
//                                                                 lastApplied, state, changeEventType, at}]}
//                                                    (the last 200 discards; timestamps "O", 7 digits);
//                                                    an unknown engine: {workers: [], discarded: 0, discards: []}.
//                                                    SynchronizeWorkers drops the workers it does not list;
//                                                    Deleted drops one; both keep its last timestamp
//   POST /streamhub-test/reset-view                  forget every engine's view
//   POST /streamhub-test/broadcast-period/{ms}       UpdateMetric-{engineId} to all clients every ms, for
//                                                    every registered engine: its last EngineMetric, or
//                                                    {engineId, noMetricYet: true} (default 2000; 0: off)
//   GET  /streamhub-test/broadcasts                  {sent: N} UpdateMetric broadcasts sent so far
//   GET  /streamhub-test/hostile/{kind}              {negotiates: N, webSockets: N, negotiateTimes: [iso],
//                                                    webSocketTimes: [iso]} for kind = huge-negotiate,
//                                                    huge-negotiate-length, huge-frame, garbage,
//                                                    garbage-handshake (the /hostile/... servers:
//                                                    HostileHubs.cs); 404 {error} for another kind
//   POST /streamhub-test/hostile/reset               zero those counts
//   /hostile/huge-negotiate/{mb}, /hostile/huge-negotiate-length/{mb}, /hostile/huge-frame/{mb},
//   /hostile/garbage, /hostile/garbage-handshake      hub URLs for an engine: broken or malicious
//                                                    hubs (negotiate + WebSocket), see HostileHubs.cs
//   GET  /streamhub-test/negotiates                  {times: [iso]}: every POST /streamhub/negotiate since the
//                                                    hub started (a connection attempt), oldest first
//   POST /streamhub-test/record-streams/{on}         keep (or only count) pictures and logs
//   GET  /streamhub-test/freshness?maxAgeMs=1000     how many workers' newest picture is younger than that
//   POST /streamhub-test/bench/{engineId}/{method}?n=N  body: the argument; N sequential client-result
//                                                    round trips, timed here: {n, failures, p50Ms, p99Ms, maxMs}
public static class StreamHubEndpoints
{
    public static IServiceCollection AddStreamHubStandIn(this IServiceCollection services)
    {
        services.AddSingleton<StreamHubRecorder>();
        services.AddSingleton<HostileStats>();
        services.AddHostedService<StreamHubBroadcaster>();
        // StreamHub's limits, as the contract states them.
        services.AddSignalR().AddHubOptions<StreamHub>(o =>
        {
            o.MaximumReceiveMessageSize = 256 * 1024;
            o.MaximumParallelInvocationsPerClient = 10;
        });
        return services;
    }

    public static WebApplication MapStreamHubStandIn(this WebApplication app)
    {
        app.MapHostileHubs(); // /hostile/...
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Equals("/streamhub/negotiate"))
                context.RequestServices.GetRequiredService<StreamHubRecorder>().Negotiated();
            await next();
        });
        app.MapHub<StreamHub>("/streamhub", o => o.AllowStatefulReconnects = false);
        var g = app.MapGroup("/streamhub-test");
        g.MapGet("/received", (StreamHubRecorder r, string? method, int? since) =>
        {
            var list = r.Received.ToArray().Skip(since ?? 0)
                .Where(x => method == null || x.Method == method)
                .Select(x => new { method = x.Method, at = x.At, payload = x.Payload });
            return Results.Json(list);
        });
        g.MapGet("/count", (StreamHubRecorder r) => Results.Json(new { count = r.Received.Count }));
        g.MapGet("/engines", (StreamHubRecorder r) => Results.Json(r.Engines.Keys));
        g.MapPost("/refuse/{on}", (StreamHubRecorder r, bool on) => { r.RefuseRegistration = on; return Results.Ok(); });
        g.MapPost("/stop-reading", (StreamHubRecorder r, int? ms) =>
        {
            if (ms is < 0)
                return Results.BadRequest(new { error = "ms must be >= 0" });
            r.StopReading(ms);
            return Results.Ok();
        });
        g.MapPost("/resume-reading", (StreamHubRecorder r) => { r.ResumeReading(); return Results.Ok(); });
        g.MapPost("/reset", (StreamHubRecorder r) => { r.Received.Clear(); return Results.Ok(); });
        g.MapGet("/view/{engineId}", (StreamHubRecorder r, string engineId) =>
        {
            if (!Guid.TryParse(engineId, out var id) || !r.Views.TryGetValue(id, out var view))
                return Results.Json(new { workers = Array.Empty<WorkerChangeEvent>(), discarded = 0L, discards = Array.Empty<EngineView.Discard>() },
                                    StreamHubRecorder.Json);
            var (workers, discarded, discards) = view.Snapshot();
            return Results.Json(new { workers, discarded, discards }, StreamHubRecorder.Json);
        });
        g.MapPost("/reset-view", (StreamHubRecorder r) => { r.Views.Clear(); return Results.Ok(); });
        g.MapPost("/broadcast-period/{ms:int}", (StreamHubRecorder r, int ms) =>
        {
            if (ms < 0)
                return Results.BadRequest(new { error = "ms must be >= 0" });
            r.SetBroadcastPeriod(ms);
            return Results.Ok();
        });
        g.MapGet("/broadcasts", (StreamHubRecorder r) => Results.Json(new { sent = Interlocked.Read(ref r.BroadcastsSent) }));
        g.MapGet("/hostile/{kind}", (HostileStats s, string kind) =>
            s[kind] is { } k ? Results.Json(k.Snapshot()) : Results.NotFound(new { error = $"unknown kind {kind}", kinds = HostileStats.Kinds }));
        g.MapPost("/hostile/reset", (HostileStats s) => { s.Reset(); return Results.Ok(); });
        g.MapGet("/negotiates", (StreamHubRecorder r) => Results.Json(new { times = r.NegotiateTimes() }, StreamHubRecorder.Json));
        g.MapPost("/record-streams/{on}", (StreamHubRecorder r, bool on) => { r.RecordStreams = on; return Results.Ok(); });
        g.MapGet("/freshness", (StreamHubRecorder r, int? maxAgeMs) =>
        {
            var now = DateTime.UtcNow;
            var ages = r.LastImageAt.Values.Select(t => (now - t).TotalMilliseconds).ToList();
            return Results.Json(new
            {
                workers = ages.Count,
                fresh = ages.Count(a => a < (maxAgeMs ?? 1000)),
                maxAgeMs = ages.Count > 0 ? ages.Max() : 0,
                images = Interlocked.Read(ref r.ImageCount),
            });
        });
        g.MapPost("/bench/{engineId}/{method}", async (StreamHubRecorder r, IHubContext<StreamHub> hub, Guid engineId, string method, int? n, HttpRequest request) =>
        {
            if (!r.Engines.TryGetValue(engineId, out var connectionId))
                return Results.NotFound(new { error = "engine not connected" });
            using var body = await JsonDocument.ParseAsync(request.Body);
            var argument = DeserializeArgument(method, body.RootElement.Clone());
            var client = hub.Clients.Client(connectionId);
            var times = new List<double>();
            int failures = 0;
            for (int i = 0; i < (n ?? 1000); ++i)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var sw = System.Diagnostics.Stopwatch.StartNew();
                try
                {
                    var result = await client.InvokeAsync<CommandResult>(method, argument, cts.Token);
                    if (!result.Success) failures++;
                }
                catch (Exception) { failures++; }
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            double Pct(double p) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(p * times.Count) - 1)];
            return Results.Json(new { n = times.Count, failures, p50Ms = Pct(0.50), p99Ms = Pct(0.99), maxMs = times[^1] });
        });
        g.MapPost("/invoke/{engineId}/{method}", async (StreamHubRecorder r, IHubContext<StreamHub> hub, Guid engineId, string method, HttpRequest request) =>
        {
            if (!r.Engines.TryGetValue(engineId, out var connectionId))
                return Results.NotFound(new { error = "engine not connected" });
            using var body = await JsonDocument.ParseAsync(request.Body);
            object? argument = DeserializeArgument(method, body.RootElement);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var started = DateTime.UtcNow;
            try
            {
                var result = await hub.Clients.Client(connectionId).InvokeAsync<CommandResult>(method, argument, cts.Token);
                return Results.Json(new { ok = true, result, elapsedMs = (DateTime.UtcNow - started).TotalMilliseconds });
            }
            catch (Exception e)
            {
                return Results.Json(new { ok = false, error = e.Message, elapsedMs = (DateTime.UtcNow - started).TotalMilliseconds });
            }
        });
        return app;
    }

    // Argument types as StreamHub sends them; anything else (tests of bad
    // input) goes as raw JSON.
    private static object? DeserializeArgument(string method, JsonElement json)
    {
        var o = StreamHubRecorder.Json;
        try
        {
            return method switch
            {
                "CreateWorker" or "EditWorker" => json.Deserialize<WorkerCreateAndEdit>(o),
                "EnableDisableWorker" => json.Deserialize<WorkerEnableDisableMessage>(o),
                "EngineEditName" => json.Deserialize<EngineEditNameDesc>(o),
                "RemoveHubConnection" => json.GetString(),
                "RemoveWorker" or "StartWorker" or "StopWorker" or "ResetWatchdogEventCount"
                    or "GetWorkerChangeLogs" or "GetWorkerEventsWithLogs" => json.Deserialize<WorkerOperationMessage>(o),
                _ => json,
            };
        }
        catch (JsonException)
        {
            return json; // a malformed argument, sent as it is
        }
    }
}
