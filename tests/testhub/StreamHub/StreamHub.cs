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

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Record(string method, object payload) =>
        Received.Enqueue((method, DateTime.UtcNow, JsonSerializer.SerializeToElement(payload, payload.GetType(), Json)));

    public async Task Gate()
    {
        var gate = ReadingGate;
        if (gate != null)
            await gate.Task;
    }
}

// A stand-in for StreamHub, named and shaped like the contract.
public class StreamHub(StreamHubRecorder recorder) : Hub
{
    public async Task<bool> RegisterEngineConnection(BaseEngineInfo info)
    {
        await recorder.Gate();
        recorder.Record(nameof(RegisterEngineConnection), info);
        if (recorder.RefuseRegistration)
            return false;
        recorder.Engines[info.EngineId] = Context.ConnectionId;
        return true;
    }

    public async Task ReceiveEngineSystemInfo(EngineSystemInfoModel info) { await recorder.Gate(); recorder.Record(nameof(ReceiveEngineSystemInfo), info); }
    public async Task SynchronizeWorkers(List<WorkerChangeEvent> workers, Guid engineId)
    {
        await recorder.Gate();
        recorder.Record(nameof(SynchronizeWorkers), new { workers, engineId });
    }
    public async Task ReceiveWorkerEvent(WorkerChangeEvent e) { await recorder.Gate(); recorder.Record(nameof(ReceiveWorkerEvent), e); }
    public async Task ReceiveEngineEvent(EngineChangeEvent e) { await recorder.Gate(); recorder.Record(nameof(ReceiveEngineEvent), e); }
    public async Task ReceiveMetric(EngineMetric m) { await recorder.Gate(); recorder.Record(nameof(ReceiveMetric), m); }
    public async Task ReceiveWorkerLog(WorkerLogEntry l)
    {
        await recorder.Gate();
        if (recorder.RecordStreams) recorder.Record(nameof(ReceiveWorkerLog), l);
    }
    public async Task ReceiveEngineLog(EngineLogEntry l)
    {
        await recorder.Gate();
        if (recorder.RecordStreams) recorder.Record(nameof(ReceiveEngineLog), l);
    }
    public async Task ReceiveImage(WorkerImageData i)
    {
        await recorder.Gate();
        recorder.LastImageAt[i.WorkerId] = DateTime.UtcNow;
        Interlocked.Increment(ref recorder.ImageCount);
        if (recorder.RecordStreams) recorder.Record(nameof(ReceiveImage), i);
    }
    public async Task ReceiveDeadLetter(string s) { await recorder.Gate(); recorder.Record(nameof(ReceiveDeadLetter), s); }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        foreach (var kv in recorder.Engines)
            if (kv.Value == Context.ConnectionId)
                recorder.Engines.TryRemove(kv.Key, out _);
        return base.OnDisconnectedAsync(exception);
    }
}
