// The test server: every hub is one file plus one Map line below.
//   dotnet TestHub.dll --urls http://127.0.0.1:0
// prints "LISTENING http://127.0.0.1:<port>" once it accepts connections.
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using TestHub;
using TestHub.StreamHubStandIn;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
builder.Services.AddSignalR(o => o.EnableDetailedErrors = true);
builder.Services.AddTestHub();
builder.Services.AddStreamHubStandIn();

var app = builder.Build();
app.MapTestHub();          // /testhub (+ /testhub-test helpers)
app.MapStreamHubStandIn(); // /streamhub (+ /streamhub-test helpers)

app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
    foreach (var address in addresses)
        Console.WriteLine($"LISTENING {address}");
    Console.Out.Flush();
});
app.Run();
