// The StreamHub contract (shared/docs/streamhub-contract.md) as the real
// StreamHub declares it: C# classes with `required` members, so that the
// framework's own deserializer refuses an engine message that lacks a field.
namespace TestHub.StreamHubStandIn;

public enum WorkerState { Idle = 0, Starting = 1, Running = 2, Stopping = 3, Restarting = 4 }
public enum ChangeEventType { Created = 0, Updated = 1, Deleted = 2 }

public class BaseMessage
{
    public required Guid EngineId { get; set; }
    public required DateTime Timestamp { get; set; }
    public required int SequenceNumber { get; set; }
}

public class BaseWorkerInfo : BaseMessage
{
    public required string WorkerId { get; set; }
    public required string? Name { get; set; }
    public required string? Description { get; set; }
    public required string? Command { get; set; }
    public required bool IsEnabled { get; set; }
    public required int WatchdogEventCount { get; set; }
    public required WorkerState State { get; set; }
    public required bool ImgWatchdogEnabled { get; set; }
    public required TimeSpan ImgWatchdogGraceTime { get; set; }
    public required TimeSpan ImgWatchdogInterval { get; set; }
    public required string Streamer { get; set; }
}

public class WorkerChangeEvent : BaseWorkerInfo
{
    public required ChangeEventType ChangeEventType { get; set; }
}

public class HubUrlInfo
{
    public required int Id { get; set; }
    public required string HubUrl { get; set; }
    public required string ApiKey { get; set; }
}

public class BaseEngineInfo : BaseMessage
{
    public required string EngineName { get; set; }
    public required string EngineDescription { get; set; }
    public required DateTime EngineStartDate { get; set; }
    public required string Version { get; set; }
    public required DateTime InstallDate { get; set; }
    public required List<HubUrlInfo> HubUrls { get; set; }
    public required List<string> Streamers { get; set; }
}

public class EngineChangeEvent : BaseEngineInfo
{
    public required ChangeEventType ChangeEventType { get; set; }
}

public class EngineSystemInfoModel : BaseMessage
{
    public required string OsName { get; set; }
    public required string OsVersion { get; set; }
    public required string Architecture { get; set; }
    public required double Uptime { get; set; }
    public required int ProcessCount { get; set; }
    public required string Platform { get; set; }
}

public class EngineMetric : BaseMessage
{
    public required double CpuUsage { get; set; }
    public required List<double> PerCoreCpuUsage { get; set; }
    public required double CurrentProcessCpuUsage { get; set; }
    public required double MemoryUsage { get; set; }
    public required double TotalMemory { get; set; }
    public required double AvailableMemory { get; set; }
    public required double CurrentProcessMemoryUsage { get; set; }
    public required double RxMbps { get; set; }
    public required double TxMbps { get; set; }
    public required double RxUsagePercent { get; set; }
    public required double TxUsagePercent { get; set; }
    public required string NetworkInterfaceName { get; set; }
    public required double LinkSpeedGbps { get; set; }
    public required DateTime MeasureTimestamp { get; set; }
}

public enum LogLevel { Trace = 0, Debug = 1, Information = 2, Warning = 3, Error = 4, Critical = 5, None = 6 }

public class BaseLogEntry : BaseMessage
{
    public required string Message { get; set; }
    public required int LogSequenceNumber { get; set; }
    public required LogLevel LogLevel { get; set; }
    public required DateTime LogTimestamp { get; set; }
}

public class WorkerLogEntry : BaseLogEntry
{
    public required string WorkerId { get; set; }
}

public class EngineLogEntry : BaseLogEntry { }

public class WorkerImageData : BaseMessage
{
    public required byte[] ImageBytes { get; set; }
    public required string WorkerId { get; set; }
    public required int ImageSequenceNumber { get; set; }
}

public class WorkerOperationMessage : BaseMessage
{
    public required string WorkerId { get; set; }
}

public class WorkerEnableDisableMessage : WorkerOperationMessage
{
    public required bool Enable { get; set; }
}

public class WorkerCreateAndEdit : WorkerOperationMessage
{
    public required string Name { get; set; }
    public required string Description { get; set; }
    public required string Command { get; set; }
    public required bool IsEnabled { get; set; }
    public required bool ImgWatchdogEnabled { get; set; }
    public required TimeSpan ImgWatchdogGraceTime { get; set; }
    public required TimeSpan ImgWatchdogInterval { get; set; }
    public required string StreamerType { get; set; }
}

public class EngineEditNameDesc : WorkerOperationMessage
{
    public required string EngineName { get; set; }
    public required string EngineDescription { get; set; }
}

public class CommandResult
{
    public bool Success { get; set; }
    public string Message { get; set; } = "";
    public System.Text.Json.JsonElement? Data { get; set; }
}
