using System.Text.Json;
using Microsoft.AspNetCore.SignalR;

namespace TestHub.StreamHubStandIn;

// How tests steer the stand-in over plain HTTP:
//   GET  /streamhub-test/received[?method=M&since=N]  what engines sent, in order
//   GET  /streamhub-test/engines                     connected engine ids
//   POST /streamhub-test/invoke/{engineId}/{method}  body: the argument (JSON); the engine's
//                                                    CommandResult, as StreamHub calls it (client result, 5 s)
//   POST /streamhub-test/refuse/{on}                 RegisterEngineConnection answers false
//   POST /streamhub-test/stop-reading, /resume-reading
//   POST /streamhub-test/reset                       forget what was received
//   POST /streamhub-test/record-streams/{on}         keep (or only count) pictures and logs
//   GET  /streamhub-test/freshness?maxAgeMs=1000     how many workers' newest picture is younger than that
//   POST /streamhub-test/bench/{engineId}/{method}?n=N  body: the argument; N sequential client-result
//                                                    round trips, timed here: {n, failures, p50Ms, p99Ms, maxMs}
public static class StreamHubEndpoints
{
    public static IServiceCollection AddStreamHubStandIn(this IServiceCollection services)
    {
        services.AddSingleton<StreamHubRecorder>();
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
        g.MapPost("/stop-reading", (StreamHubRecorder r) => { r.ReadingGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); return Results.Ok(); });
        g.MapPost("/resume-reading", (StreamHubRecorder r) => { r.ReadingGate?.TrySetResult(); r.ReadingGate = null; return Results.Ok(); });
        g.MapPost("/reset", (StreamHubRecorder r) => { r.Received.Clear(); return Results.Ok(); });
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
