#!/usr/bin/env node
// A real server for the director-pair test, run in a real's namespace: an echo service on :7000
// that prefixes every line with the real's name (so the client knows who served it), and a health
// port :7001 that lvsd's connect check probes. `down` leaves the health port closed: the real fails
// its check while its echo service still answers, so a request sent there anyway is seen.
//   node echo-real.js NAME [down]          prints "ready" once listening
import net from 'node:net';

const [name, health] = process.argv.slice(2);
const listen = (server, port) => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '0.0.0.0', resolve);
});

const echo = net.createServer((sock) => {
  sock.setNoDelay(true);
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const l of lines) sock.write(`${name} ${l}\n`);
  });
  sock.on('error', () => {}); // a client gone mid-write is not the server's failure
});
await listen(echo, 7000);
// a check that resets the connection is not the server's failure either
if (health !== 'down') await listen(net.createServer((sock) => sock.on('error', () => {}).end('ok\n')), 7001);
process.stdout.write('ready\n');
process.on('SIGTERM', () => process.exit(0));
