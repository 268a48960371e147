// args: hubUrl rounds sends clientResults. Prints one JSON line of results.
import * as signalR from "@microsoft/signalr";
import { createRequire } from "module";

const [url, rounds, sends, clientResults] = [process.argv[2], +process.argv[3], +process.argv[4], +process.argv[5]];
const version = createRequire(import.meta.url)("@microsoft/signalr/package.json").version;
const c = new signalR.HubConnectionBuilder().withUrl(url).configureLogging(signalR.LogLevel.None).build();
c.on("Bench", (i) => i);
await c.start();
for (let i = 0; i < 1000; i++) await c.invoke("Add", i, 1);
const rtt = [];
for (let i = 0; i < rounds; i++) {
  const t = process.hrtime.bigint();
  await c.invoke("Add", i, 1);
  rtt.push(Number(process.hrtime.bigint() - t) / 1000);
}
rtt.sort((a, b) => a - b);
const s = process.hrtime.bigint();
for (let i = 0; i < sends; i++) c.send("Sink", i);
while ((await c.invoke("SinkCount")) < sends) {}
const perSecond = sends / (Number(process.hrtime.bigint() - s) / 1e9);
const cr = await c.invoke("ClientResultRoundTrips", "Bench", clientResults);
console.log(JSON.stringify({
  client: `JS @microsoft/signalr ${version} (Node ${process.version})`,
  rttP50Us: rtt[Math.floor(rounds / 2)], rttP99Us: rtt[Math.floor(rounds * 0.99)],
  sendsPerSecond: perSecond,
  clientResultP50Us: cr[Math.floor(cr.length / 2)], clientResultP99Us: cr[Math.floor(cr.length * 0.99)],
}));
await c.stop();
process.exit(0);
