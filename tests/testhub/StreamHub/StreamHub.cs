using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;

namespace TestHub.StreamHubStandIn;

// Everything engines sent, as the hub's deserializer read it, for tests to
// look at; and the switches tests turn (refuse registrations, stop reading).
public class StreamHubRecorder
{
    public ConcurrentQueue<(string Method, DateTime At, JsonElement Payload)> Received { get; } = new();
    public ConcurrentDictionary<Guid, string> Engines { get; } = new();
    public volatile bool RefuseRegistration;
    public volatile TaskCompletionSource? ReadingGate; // while set, every hub method waits for it
    public volatile bool RecordStreams = true;          // false: pictures and logs are counted, not kept
    public ConcurrentDictionary<string, DateTime> LastImageAt { get; } = new();
    public long ImageCount;

    // StreamHub's own state: per engine, the workers as it applied them.
    public ConcurrentDictionary<Guid, EngineView> Views { get; } = new();
    public EngineView View(Guid engineId) => Views.GetOrAdd(engineId, _ => new EngineView());

    // The last metric each engine sent, broadcast as UpdateMetric-{engineId}.
    public ConcurrentDictionary<Guid, EngineMetric> LastMetric { get; } = new();
    private volatile int _broadcastPeriodMs = 2000;
    public int BroadcastPeriodMs => _broadcastPeriodMs;
    public long BroadcastsSent;
    public SemaphoreSlim BroadcastWake { get; } = new(0);
    public void SetBroadcastPeriod(int ms)
    {
        _broadcastPeriodMs = ms;
        BroadcastWake.Release(); // the broadcaster starts a new period now
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Connection attempts (negotiate requests at /streamhub), for the fleet benchmark.
    private readonly ConcurrentQueue<DateTime> _negotiates = new();
    public void Negotiated() => _negotiates.Enqueue(DateTime.UtcNow);
    public DateTime[] NegotiateTimes() => _negotiates.ToArray();

    public void Record(string method, object payload) =>
        Received.Enqueue((method, DateTime.UtcNow, JsonSerializer.SerializeToElement(payload, payload.GetType(), Json)));

    // Worker messages run one at a time, in the order they arrived, after the
    // reading gate: SignalR starts up to MaximumParallelInvocationsPerClient
    // of them at once, and a released gate must not reorder what was waiting
    // behind it (the view's "discard if not newer" rule would see the
    // shuffle). Pictures, logs and metrics run side by side, as on StreamHub:
    // queued behind one another they would hold up the hub's reading, and the
    // command answers with it. Dispose the Turn once the message is handled.
    private readonly object _turnLock = new();
    private Task _lastTurn = Task.CompletedTask;

    public readonly struct Turn(TaskCompletionSource? done) : IDisposable
    {
        public void Dispose() => done?.TrySetResult();
    }

    public async Task<Turn> Gate()
    {
        var gate = ReadingGate;
        if (gate != null)
            await gate.Task;
        return new Turn(null);
    }

    public async Task<Turn> OrderedGate()
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task previous;
        lock (_turnLock)
        {
            previous = _lastTurn;
            _lastTurn = mine.Task;
        }
        var gate = ReadingGate;
        if (gate != null)
            await gate.Task;
        await previous;
        return new Turn(mine);
    }

    // Stop reading until ResumeReading(), or for ms milliseconds. A second
    // stop keeps what waits behind the first one waiting until it is resumed.
    private readonly object _gateLock = new();

    public void StopReading(int? ms)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gateLock)
        {
            var old = ReadingGate;
            ReadingGate = gate;
            if (old != null)
                gate.Task.ContinueWith(_ => old.TrySetResult(), TaskScheduler.Default);
        }
        if (ms is > 0)
            _ = Task.Delay(ms.Value).ContinueWith(_ => ResumeReading(gate), TaskScheduler.Default);
    }

    // Resume reading: the current gate, or only `expected` if it still is the current one.
    public void ResumeReading(TaskCompletionSource? expected = null)
    {
        TaskCompletionSource? gate;
        lock (_gateLock)
        {
            gate = ReadingGate;
            if (gate == null || (expected != null && gate != expected))
                return;
            ReadingGate = null;
        }
        gate.TrySetResult();
    }
}

// What StreamHub made of one engine's worker messages: it keeps, per worker,
// the Timestamp of the last worker message it applied (SynchronizeWorkers
// entries included) and silently discards any worker message whose Timestamp
// is not newer (DateTime ticks, 100 ns, compared exactly).
public class EngineView
{
    public const int MaxDiscardRecords = 200;

    public record Discard(string Method, string WorkerId, string Timestamp, long Ticks, string? LastApplied,
                          WorkerState State, ChangeEventType ChangeEventType, DateTime At);

    private readonly object _lock = new();
    private readonly Dictionary<string, WorkerChangeEvent> _workers = new();
    private readonly Dictionary<string, DateTime> _lastApplied = new(); // outlives a Deleted worker
    private readonly Queue<Discard> _discards = new();
    private long _discarded;

    // SynchronizeWorkers: every entry applied if newer; the workers it does
    // not list leave the view (their last timestamps are remembered).
    public void Synchronize(IReadOnlyList<WorkerChangeEvent> workers)
    {
        lock (_lock)
        {
            foreach (var w in workers)
                ApplyLocked("SynchronizeWorkers", w);
            var listed = workers.Select(w => w.WorkerId).ToHashSet(StringComparer.Ordinal);
            foreach (var id in _workers.Keys.Where(id => !listed.Contains(id)).ToList())
                _workers.Remove(id);
        }
    }

    // ReceiveWorkerEvent: Created/Updated store the event, Deleted removes the worker.
    public void Apply(WorkerChangeEvent e)
    {
        lock (_lock)
            ApplyLocked("ReceiveWorkerEvent", e);
    }

    private void ApplyLocked(string method, WorkerChangeEvent e)
    {
        if (_lastApplied.TryGetValue(e.WorkerId, out var last) && last.Ticks >= e.Timestamp.Ticks)
        {
            ++_discarded;
            _discards.Enqueue(new Discard(method, e.WorkerId, e.Timestamp.ToString("O"), e.Timestamp.Ticks,
                                          last.ToString("O"), e.State, e.ChangeEventType, DateTime.UtcNow));
            while (_discards.Count > MaxDiscardRecords)
                _discards.Dequeue();
            return;
        }
        _lastApplied[e.WorkerId] = e.Timestamp;
        if (e.ChangeEventType == ChangeEventType.Deleted)
            _workers.Remove(e.WorkerId);
        else
            _workers[e.WorkerId] = e;
    }

    public (List<WorkerChangeEvent> Workers, long Discarded, List<Discard> Discards) Snapshot()
    {
        lock (_lock)
            return (_workers.Values.OrderBy(w => w.WorkerId, StringComparer.Ordinal).ToList(), _discarded, _discards.ToList());
    }
}

// A stand-in for StreamHub, named and shaped like the contract.
public class StreamHub(StreamHubRecorder recorder) : Hub
{
    public async Task<bool> RegisterEngineConnection(BaseEngineInfo info)
    {
        using var turn = await recorder.Gate();
        recorder.Record(nameof(RegisterEngineConnection), info);
        if (recorder.RefuseRegistration)
            return false;
        recorder.Engines[info.EngineId] = Context.ConnectionId;
        return true;
    }

    public async Task ReceiveEngineSystemInfo(EngineSystemInfoModel info) { using var turn = await recorder.Gate(); recorder.Record(nameof(ReceiveEngineSystemInfo), info); }
    public async Task SynchronizeWorkers(List<WorkerChangeEvent> workers, Guid engineId)
    {
        using var turn = await recorder.OrderedGate();
        recorder.Record(nameof(SynchronizeWorkers), new { workers, engineId });
        recorder.View(engineId).Synchronize(workers);
    }
    public async Task ReceiveWorkerEvent(WorkerChangeEvent e)
    {
        using var turn = await recorder.OrderedGate();
        recorder.Record(nameof(ReceiveWorkerEvent), e);
        recorder.View(e.EngineId).Apply(e);
    }
    public async Task ReceiveEngineEvent(EngineChangeEvent e) { using var turn = await recorder.Gate(); recorder.Record(nameof(ReceiveEngineEvent), e); }
    public async Task ReceiveMetric(EngineMetric m)
    {
        using var turn = await recorder.Gate();
        recorder.Record(nameof(ReceiveMetric), m);
        recorder.LastMetric[m.EngineId] = m;
    }
    public async Task ReceiveWorkerLog(WorkerLogEntry l)
    {
        using var turn = await recorder.Gate();
        if (recorder.RecordStreams) recorder.Record(nameof(ReceiveWorkerLog), l);
    }
    public async Task ReceiveEngineLog(EngineLogEntry l)
    {
        using var turn = await recorder.Gate();
        if (recorder.RecordStreams) recorder.Record(nameof(ReceiveEngineLog), l);
    }
    public async Task ReceiveImage(WorkerImageData i)
    {
        using var turn = await recorder.Gate();
        recorder.LastImageAt[i.WorkerId] = DateTime.UtcNow;
        Interlocked.Increment(ref recorder.ImageCount);
        if (recorder.RecordStreams) recorder.Record(nameof(ReceiveImage), i);
    }
    public async Task ReceiveDeadLetter(string s) { using var turn = await recorder.Gate(); recorder.Record(nameof(ReceiveDeadLetter), s); }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        foreach (var kv in recorder.Engines)
            if (kv.Value == Context.ConnectionId)
                recorder.Engines.TryRemove(kv.Key, out _);
        return base.OnDisconnectedAsync(exception);
    }
}

// StreamHub's web pages get every engine's metric, every 2 s, as
// UpdateMetric-{engineId} sent to all its clients: engines get them too.
public class StreamHubBroadcaster(StreamHubRecorder recorder, IHubContext<StreamHub> hub) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var period = recorder.BroadcastPeriodMs;
                if (period <= 0)
                {
                    await recorder.BroadcastWake.WaitAsync(stoppingToken);
                    continue;
                }
                if (await recorder.BroadcastWake.WaitAsync(period, stoppingToken))
                    continue; // the period changed: start it again
                foreach (var engineId in recorder.Engines.Keys)
                {
                    object payload = recorder.LastMetric.TryGetValue(engineId, out var metric)
                        ? metric
                        : new { engineId, noMetricYet = true };
                    // A client that stops reading its socket must not stall the broadcasts for good.
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(10));
                    try
                    {
                        await hub.Clients.All.SendAsync($"UpdateMetric-{engineId}", payload, timeout.Token);
                        Interlocked.Increment(ref recorder.BroadcastsSent);
                    }
                    catch (Exception) when (!stoppingToken.IsCancellationRequested)
                    {
                        // a client going away mid-send: the next period tries again
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
