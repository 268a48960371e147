using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;

namespace TestHub.StreamHubStandIn;

// Broken or malicious "hubs", for tests of an engine facing one. Each speaks
// just enough of SignalR (negotiate at {path}/negotiate, then a WebSocket at
// {path}) to reach the point where it misbehaves:
//   /hostile/huge-negotiate/{mb}         negotiate answers 200 application/json, chunked, {mb} MiB:
//                                        {"connectionId":"aaaa... (never complete)
//   /hostile/huge-negotiate-length/{mb}  the same with Content-Length: {mb} MiB set up front
//   /hostile/huge-frame/{mb}             a normal negotiate; the WebSocket answers the handshake, then
//                                        sends ONE text frame of {mb} MiB:
//                                        {"type":1,"target":"x","arguments":["aaaa..."]}\x1e
//   /hostile/garbage                     a normal negotiate; the WebSocket answers the handshake, then
//                                        sends "this is not json\x1e" as a text message
//   /hostile/garbage-handshake           a normal negotiate; the WebSocket answers the handshake
//                                        with "this is not a handshake\x1e" instead of "{}\x1e"
// {mb}: 1..4096 (huge-frame: 1..1024), else 400. The WebSockets then stay open until the client
// closes (or 60 s); a WebSocket at the huge-negotiate paths (never reached by
// a client that refused the negotiate) is accepted, counted and closed.
// Negotiate requests and accepted WebSockets are counted per kind
// (HostileStats; GET /streamhub-test/hostile/{kind}).
public class HostileStats
{
    public static readonly string[] Kinds =
        ["huge-negotiate", "huge-negotiate-length", "huge-frame", "garbage", "garbage-handshake"];

    public class Kind
    {
        private readonly object _lock = new();
        private readonly List<DateTime> _negotiates = new();
        private readonly List<DateTime> _webSockets = new();

        public void Negotiate() { lock (_lock) _negotiates.Add(DateTime.UtcNow); }
        public void WebSocket() { lock (_lock) _webSockets.Add(DateTime.UtcNow); }
        public void Reset() { lock (_lock) { _negotiates.Clear(); _webSockets.Clear(); } }

        public object Snapshot()
        {
            lock (_lock)
                return new
                {
                    negotiates = _negotiates.Count,
                    webSockets = _webSockets.Count,
                    negotiateTimes = _negotiates.ToList(),
                    webSocketTimes = _webSockets.ToList(),
                };
        }
    }

    private readonly ConcurrentDictionary<string, Kind> _kinds =
        new(Kinds.Select(k => new KeyValuePair<string, Kind>(k, new Kind())));

    public Kind? this[string kind] => _kinds.TryGetValue(kind, out var k) ? k : null;
    public void Reset() { foreach (var k in _kinds.Values) k.Reset(); }
}

public static class HostileHubs
{
    private const int MiB = 1024 * 1024;
    private const int MaxMb = 4096;      // streamed negotiate bodies
    private const int MaxFrameMb = 1024; // one array: below 2 GiB
    private static readonly TimeSpan HoldOpen = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    public static WebApplication MapHostileHubs(this WebApplication app)
    {
        // Raw WebSocket endpoints need the middleware (SignalR adds its own
        // for its hubs); only these paths get it.
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/hostile"), b => b.UseWebSockets());
        var stats = app.Services.GetRequiredService<HostileStats>();

        app.MapPost("/hostile/huge-negotiate/{mb:int}/negotiate",
                    (HttpContext c, int mb) => HugeNegotiate(c, mb, stats["huge-negotiate"]!, withLength: false));
        app.MapPost("/hostile/huge-negotiate-length/{mb:int}/negotiate",
                    (HttpContext c, int mb) => HugeNegotiate(c, mb, stats["huge-negotiate-length"]!, withLength: true));
        // Their WebSockets should never be reached: counted, then closed.
        app.Map("/hostile/huge-negotiate/{mb:int}", (HttpContext c) => Socket(c, stats["huge-negotiate"]!, Unexpected));
        app.Map("/hostile/huge-negotiate-length/{mb:int}", (HttpContext c) => Socket(c, stats["huge-negotiate-length"]!, Unexpected));

        app.MapPost("/hostile/huge-frame/{mb:int}/negotiate", (int mb) =>
        {
            stats["huge-frame"]!.Negotiate();
            return mb is < 1 or > MaxFrameMb ? Results.BadRequest(new { error = $"mb must be 1..{MaxFrameMb}" }) : Negotiate();
        });
        app.Map("/hostile/huge-frame/{mb:int}", async (HttpContext c, int mb) =>
        {
            if (mb is < 1 or > MaxFrameMb)
                c.Response.StatusCode = StatusCodes.Status400BadRequest;
            else
                await Socket(c, stats["huge-frame"]!, (ws, ct) => HugeFrame(ws, mb, ct));
        });

        app.MapPost("/hostile/garbage/negotiate", () => { stats["garbage"]!.Negotiate(); return Negotiate(); });
        app.Map("/hostile/garbage", (HttpContext c) => Socket(c, stats["garbage"]!, Garbage));

        app.MapPost("/hostile/garbage-handshake/negotiate", () => { stats["garbage-handshake"]!.Negotiate(); return Negotiate(); });
        app.Map("/hostile/garbage-handshake", (HttpContext c) => Socket(c, stats["garbage-handshake"]!, GarbageHandshake));
        return app;
    }

    // A well-formed negotiate answer (version 1, WebSockets only).
    private static IResult Negotiate() => Results.Json(new
    {
        negotiateVersion = 1,
        connectionId = Guid.NewGuid().ToString("N"),
        connectionToken = Guid.NewGuid().ToString("N"),
        availableTransports = new[] { new { transport = "WebSockets", transferFormats = new[] { "Text", "Binary" } } },
    });

    private static async Task HugeNegotiate(HttpContext c, int mb, HostileStats.Kind kind, bool withLength)
    {
        kind.Negotiate();
        if (mb is < 1 or > MaxMb)
        {
            c.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        long total = (long)mb * MiB;
        c.Response.StatusCode = StatusCodes.Status200OK;
        c.Response.ContentType = "application/json";
        if (withLength)
            c.Response.ContentLength = total;
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'a');
        var first = (byte[])chunk.Clone();
        Encoding.ASCII.GetBytes("{\"connectionId\":\"").CopyTo(first, 0);
        var ct = c.RequestAborted;
        try
        {
            for (long written = 0; written < total;)
            {
                var n = (int)Math.Min(chunk.Length, total - written);
                await c.Response.Body.WriteAsync((written == 0 ? first : chunk).AsMemory(0, n), ct);
                written += n;
            }
        }
        catch (Exception e) when (ct.IsCancellationRequested || e is IOException or OperationCanceledException)
        {
            // the client gave up: that is the point
        }
    }

    // Accepts, counts, runs `misbehave`, then waits for the client to close
    // (or HoldOpen); a client that goes away ends it quietly.
    private static async Task Socket(HttpContext c, HostileStats.Kind kind, Func<WebSocket, CancellationToken, Task<bool>> misbehave)
    {
        if (!c.WebSockets.IsWebSocketRequest)
        {
            c.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        using var ws = await c.WebSockets.AcceptWebSocketAsync();
        kind.WebSocket();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
        cts.CancelAfter(HoldOpen);
        try
        {
            if (await misbehave(ws, cts.Token))
                await WaitForClose(ws, cts.Token);
        }
        catch (Exception)
        {
            // aborted, reset or timed out
        }
        if (ws.State is not (WebSocketState.Closed or WebSocketState.Aborted))
            ws.Abort();
    }

    private static async Task<bool> Unexpected(WebSocket ws, CancellationToken ct)
    {
        await ws.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "no WebSocket here", ct);
        return true;
    }

    private static async Task<bool> HugeFrame(WebSocket ws, int mb, CancellationToken ct)
    {
        if (!await ReadHandshake(ws, ct))
            return false;
        await SendText(ws, "{}\u001e", ct);
        var message = new byte[(long)mb * MiB];
        Array.Fill(message, (byte)'a');
        var head = Encoding.ASCII.GetBytes("{\"type\":1,\"target\":\"x\",\"arguments\":[\"");
        var tail = Encoding.ASCII.GetBytes("\"]}\u001e");
        head.CopyTo(message, 0);
        tail.CopyTo(message, message.Length - tail.Length);
        await ws.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, ct); // one frame
        return true;
    }

    private static async Task<bool> Garbage(WebSocket ws, CancellationToken ct)
    {
        if (!await ReadHandshake(ws, ct))
            return false;
        await SendText(ws, "{}\u001e", ct);
        await SendText(ws, "this is not json\u001e", ct);
        return true;
    }

    private static async Task<bool> GarbageHandshake(WebSocket ws, CancellationToken ct)
    {
        if (!await ReadHandshake(ws, ct))
            return false;
        await SendText(ws, "this is not a handshake\u001e", ct);
        return true;
    }

    private static Task SendText(WebSocket ws, string text, CancellationToken ct) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct);

    // Reads until the handshake record's separator; false if the client
    // closed first (or sent more than a handshake could be).
    private static async Task<bool> ReadHandshake(WebSocket ws, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HandshakeTimeout);
        var buffer = new byte[4096];
        for (int total = 0; total < 64 * 1024;)
        {
            var r = await ws.ReceiveAsync(buffer, timeout.Token);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                return false;
            }
            if (Array.IndexOf(buffer, (byte)0x1e, 0, r.Count) >= 0)
                return true;
            total += r.Count;
        }
        return false;
    }

    private static async Task WaitForClose(WebSocket ws, CancellationToken ct)
    {
        var buffer = new byte[4096];
        while (ws.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            var r = await ws.ReceiveAsync(buffer, ct);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                if (ws.State == WebSocketState.CloseReceived)
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                return;
            }
        }
    }
}
