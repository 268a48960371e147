using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;

namespace TestHub;

// Per-connection counters and what the server saw of each request, for tests to read back.
public class TestHubState
{
    public ConcurrentDictionary<string, long> Received { get; } = new();
    public ConcurrentDictionary<string, ConcurrentQueue<long>> Sequences { get; } = new();
    public volatile string? LastNegotiateAuthorization;
    public volatile string? LastNegotiateQuery;
}

// The hub the signalr/ client is proven against: one method per behaviour.
public class TestHub(TestHubState state) : Hub
{
    public override Task OnConnectedAsync()
    {
        var http = Context.GetHttpContext();
        if ((string?)http?.Request.Query["failConnect"] == "1")
            throw new HubException("refused by OnConnectedAsync");
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        state.Received.TryRemove(Context.ConnectionId, out _);
        state.Sequences.TryRemove(Context.ConnectionId, out _);
        return base.OnDisconnectedAsync(exception);
    }

    public JsonElement Echo(JsonElement value) => value;
    public JsonElement[] EchoMany(JsonElement[] values) => values;
    public int Add(int a, int b) => a + b;
    public void Void() { }
    public string Fail(string message) => throw new HubException(message);
    public string Crash() => throw new InvalidOperationException("not a HubException");
    public string ConnectionId() => Context.ConnectionId;

    public async Task<int> Delay(int ms)
    {
        await Task.Delay(ms);
        return ms;
    }

    // What the request that opened this connection carried.
    public object WhoAmI()
    {
        var http = Context.GetHttpContext()!;
        return new
        {
            accessToken = (string?)http.Request.Query["access_token"],
            authorization = (string?)http.Request.Headers.Authorization,
            testHeader = (string?)http.Request.Headers["X-Test"],
            query = http.Request.QueryString.Value,
            isHttps = http.Request.IsHttps,
            negotiateAuthorization = state.LastNegotiateAuthorization,
            negotiateQuery = state.LastNegotiateQuery,
        };
    }

    // Server-to-client streams.
    public async IAsyncEnumerable<int> Counter(int count, int delayMs, [EnumeratorCancellation] CancellationToken token)
    {
        for (var i = 0; i < count; i++)
        {
            if (delayMs > 0)
                await Task.Delay(delayMs, token);
            yield return i;
        }
    }

    public async IAsyncEnumerable<int> CounterThenFail(int count, [EnumeratorCancellation] CancellationToken token)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            token.ThrowIfCancellationRequested();
            yield return i;
        }
        throw new HubException("stream failed");
    }

    // Client-to-server (upload) streams.
    public async Task<long> UploadSum(ChannelReader<long> numbers)
    {
        long sum = 0;
        await foreach (var n in numbers.ReadAllAsync())
            sum += n;
        return sum;
    }

    public async Task<string> UploadJoin(string separator, IAsyncEnumerable<string> first, ChannelReader<string> second)
    {
        var parts = new List<string>();
        await foreach (var s in first)
            parts.Add(s);
        await foreach (var s in second.ReadAllAsync())
            parts.Add(s);
        return string.Join(separator, parts);
    }

    // Returns after the first item, while the client may still be writing.
    public async Task<JsonElement> UploadFirst(ChannelReader<JsonElement> items) => await items.ReadAsync();

    // Each item back to the caller as method(item), then methodDone().
    public async Task UploadToCaller(string method, IAsyncEnumerable<JsonElement> items)
    {
        await foreach (var item in items)
            await Clients.Caller.SendAsync(method, item);
        await Clients.Caller.SendAsync(method + "Done");
    }

    // Both ways at once: every number doubled, as it arrives.
    public async IAsyncEnumerable<long> UploadDoubled(IAsyncEnumerable<long> numbers)
    {
        await foreach (var n in numbers)
            yield return n * 2;
    }

    // Fire-and-forget sink: counts and remembers what arrived, in order.
    public void Sink(long value)
    {
        state.Received.AddOrUpdate(Context.ConnectionId, 1, (_, n) => n + 1);
        state.Sequences.GetOrAdd(Context.ConnectionId, _ => new ConcurrentQueue<long>()).Enqueue(value);
    }
    public long SinkCount() => state.Received.GetValueOrDefault(Context.ConnectionId);
    public long[] SinkValues() => state.Sequences.TryGetValue(Context.ConnectionId, out var q) ? q.ToArray() : [];

    // Server to client.
    public Task SendToCaller(string method, JsonElement[] args) => Clients.Caller.SendCoreAsync(method, args.Cast<object?>().ToArray());

    // count messages "Tick"(i) to the caller, delayMs apart (for stateful reconnect: drop in the middle).
    public async Task Ticks(int count, int delayMs)
    {
        var caller = Clients.Caller;
        for (var i = 0; i < count; i++)
        {
            await caller.SendAsync("Tick", i);
            if (delayMs > 0)
                await Task.Delay(delayMs);
        }
    }

    // A client result: the server invokes the caller and reports what it answered.
    public async Task<object> InvokeCaller(string method, JsonElement argument, int timeoutMs)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        try
        {
            var result = await Clients.Caller.InvokeAsync<JsonElement>(method, argument, cts.Token);
            return new { ok = true, result };
        }
        catch (Exception) when (cts.IsCancellationRequested)
        {
            return new { ok = false, error = "timeout" };
        }
        catch (Exception e)
        {
            return new { ok = false, error = e.Message };
        }
    }

    // n sequential client results; the server's own round-trip times in microseconds, sorted.
    public async Task<double[]> ClientResultRoundTrips(string method, int n)
    {
        var times = new double[n];
        var caller = Clients.Caller;
        for (var i = 0; i < n; i++)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            await caller.InvokeAsync<int>(method, i, CancellationToken.None);
            times[i] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(times);
        return times;
    }

    public void Abort() => Context.Abort();

    public Task JoinGroup(string group) => Groups.AddToGroupAsync(Context.ConnectionId, group);
    public Task LeaveGroup(string group) => Groups.RemoveFromGroupAsync(Context.ConnectionId, group);
    public Task SendToGroup(string group, string message) => Clients.Group(group).SendAsync("GroupMessage", group, message);
}

public static class TestHubEndpoints
{
    public static IServiceCollection AddTestHub(this IServiceCollection services)
    {
        services.AddSingleton<TestHubState>();
        // Client results called from inside a hub method need a second invocation slot.
        services.AddSignalR().AddHubOptions<TestHub>(o => o.MaximumParallelInvocationsPerClient = 4);
        return services;
    }

    public static WebApplication MapTestHub(this WebApplication app)
    {
        var state = app.Services.GetRequiredService<TestHubState>();
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/testhub/negotiate"))
            {
                state.LastNegotiateAuthorization = context.Request.Headers.Authorization;
                state.LastNegotiateQuery = context.Request.QueryString.Value;
            }
            await next();
        });
        app.MapHub<TestHub>("/testhub", o => o.AllowStatefulReconnects = true);

        // Negotiate answers that a real deployment may give.
        app.MapPost("/redirect/negotiate", (HttpRequest r) =>
            Results.Json(new { url = $"{r.Scheme}://{r.Host}/testhub?redirected=1", accessToken = "redirected-token" }));
        app.MapPost("/redirect-loop/negotiate", (HttpRequest r) =>
            Results.Json(new { url = $"{r.Scheme}://{r.Host}/redirect-loop" }));
        app.MapPost("/negotiate-error/negotiate", () => Results.Json(new { error = "negotiation refused by test" }));
        app.MapPost("/negotiate-500/negotiate", () => Results.StatusCode(500));
        app.MapPost("/no-websockets/negotiate", () => Results.Json(new
        {
            connectionId = "x", connectionToken = "y", negotiateVersion = 1,
            availableTransports = new[] { new { transport = "LongPolling", transferFormats = new[] { "Text" } } },
        }));
        return app;
    }
}
