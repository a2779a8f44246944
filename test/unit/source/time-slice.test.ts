import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeSlicer } from '../../../core/source/time-slice.js';

describe('TimeSlicer', () => {
  it('expires once the budget of synchronous work is used, and a pause starts a new slice', async () => {
    let t = 100;
    let pauses = 0;
    const s = new TimeSlicer({ budgetMs: 2, now: () => t, pause: async () => { pauses++; t += 0.5; } });
    expect(s.expired()).toBe(false);
    t += 1.9;
    expect(s.expired()).toBe(false);
    t += 0.1;
    expect(s.expired()).toBe(true);
    await s.pause();
    expect(pauses).toBe(1);
    // The slice starts after the pause (the time spent in other callbacks is not counted).
    expect(s.expired()).toBe(false);
    t += 1.99;
    expect(s.expired()).toBe(false);
    t += 0.01;
    expect(s.expired()).toBe(true);
    s.restart();
    expect(s.expired()).toBe(false);
  });

  let server: Server | undefined;
  let client: Socket | undefined;
  afterEach(() => {
    client?.destroy();
    server?.close();
  });

  it('a pause lets socket data that arrived during the slice be read before the work resumes', async () => {
    // The work runs in an I/O callback's turn (like the drain after pg parsed a socket read); the
    // answer (a PutRecords response) arrives meanwhile and must be handled at the pause.
    let peer!: Socket;
    server = createServer((s) => { peer = s; });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const order: string[] = [];
    client = createConnection(port, '127.0.0.1');
    client.on('data', () => order.push('io'));
    await new Promise<void>((r) => client!.once('connect', r));
    await new Promise<void>((r) => { const wait = () => (peer ? r() : setImmediate(wait)); wait(); });
    for (let round = 0; round < 3; round++) {
      // In the turn of an I/O callback: a byte from the client, echoed back by the peer.
      await new Promise<void>((r) => { peer.once('data', () => r()); client!.write('x'); });
      const seen = order.length;
      peer.write('y');
      const s = new TimeSlicer({ budgetMs: 0 });
      const start = Date.now();
      while (Date.now() - start < 20) { /* synchronous work: the answer is now in the socket */ }
      expect(s.expired()).toBe(true);
      await s.pause();
      order.push('resumed');
      expect(order.slice(seen)).toEqual(['io', 'resumed']);
    }
  });
});
