// args: hubUrl rounds sends clientResults. Prints one JSON line of results.
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

var url = args[0];
int rounds = int.Parse(args[1]), sends = int.Parse(args[2]), clientResults = int.Parse(args[3]);
var c = new HubConnectionBuilder().WithUrl(url, o => o.SkipNegotiation = false).Build();
c.On<int, int>("Bench", i => i);
await c.StartAsync();

for (var i = 0; i < 1000; i++) await c.InvokeAsync<int>("Add", i, 1); // warm-up
var rtt = new double[rounds];
for (var i = 0; i < rounds; i++)
{
    var t = Stopwatch.GetTimestamp();
    await c.InvokeAsync<int>("Add", i, 1);
    rtt[i] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
}
Array.Sort(rtt);

var sw = Stopwatch.StartNew();
for (var i = 0; i < sends; i++) await c.SendAsync("Sink", (long)i);
while (await c.InvokeAsync<long>("SinkCount") < sends) { }
var perSecond = sends / sw.Elapsed.TotalSeconds;

var cr = await c.InvokeAsync<double[]>("ClientResultRoundTrips", "Bench", clientResults);
Console.WriteLine(JsonSerializer.Serialize(new
{
    client = ".NET Microsoft.AspNetCore.SignalR.Client 10.0.15",
    rttP50Us = rtt[rounds / 2], rttP99Us = rtt[(int)(rounds * 0.99)],
    sendsPerSecond = perSecond,
    clientResultP50Us = cr[cr.Length / 2], clientResultP99Us = cr[(int)(cr.Length * 0.99)],
}));
await c.StopAsync();
