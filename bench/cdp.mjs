// A minimal Chrome DevTools Protocol client over a WebSocket, with no dependency (Node 20 has no
// WebSocket that can send the `Origin` header wrangler's inspector proxy asks for).
import net from "node:net";
import crypto from "node:crypto";

export async function connectCdp(host, port, path = "/ws") {
  const socket = net.connect(port, host);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const key = crypto.randomBytes(16).toString("base64");
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://localhost\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  await new Promise((resolve, reject) => {
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buf.subarray(0, end).toString();
      buf = buf.subarray(end + 4);
      socket.off("data", onData);
      if (!/^HTTP\/1\.1 101/.test(head)) reject(new Error(`inspector handshake: ${head.split("\r\n")[0]}`));
      else resolve();
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });

  const pending = new Map();
  const listeners = [];
  let nextId = 0;
  let message = [];
  const frame = (opcode, payload) => {
    const mask = crypto.randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len])
      : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255])
      : (() => { const h = Buffer.alloc(10); h[0] = 0x80 | opcode; h[1] = 0x80 | 127; h.writeBigUInt64BE(BigInt(len), 2); return h; })();
    const body = Buffer.from(payload);
    for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
    socket.write(Buffer.concat([head, mask, body]));
  };
  const parse = () => {
    for (;;) {
      if (buf.length < 2) return;
      const fin = buf[0] & 0x80, opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f, off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      if (buf.length < off + len) return;
      const payload = buf.subarray(off, off + len);
      buf = buf.subarray(off + len);
      if (opcode === 9) { frame(10, payload); continue; }
      if (opcode === 8) { socket.end(); continue; }
      if (opcode === 1 || opcode === 2 || opcode === 0) {
        message.push(Buffer.from(payload));
        if (fin) {
          const msg = JSON.parse(Buffer.concat(message).toString("utf8"));
          message = [];
          // workerd answers with the request's id (and its method; an empty result is omitted).
          if (msg.id !== undefined && pending.has(msg.id)) {
            const p = pending.get(msg.id);
            pending.delete(msg.id);
            if (msg.error) p.reject(new Error(`${p.method}: ${JSON.stringify(msg.error)}`));
            else p.resolve(msg.result);
          } else for (const l of listeners) l(msg);
        }
      }
    }
  };
  socket.on("data", (d) => { buf = Buffer.concat([buf, d]); parse(); });
  parse();
  const closed = new Promise((resolve) => socket.once("close", resolve));
  closed.then(() => { for (const p of pending.values()) p.reject(new Error("inspector connection closed")); });
  return {
    send(method, params = {}) {
      const id = ++nextId;
      frame(1, JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
    },
    on(listener) { listeners.push(listener); },
    close() {
      frame(8, Buffer.alloc(0));
      socket.end();
      setTimeout(() => socket.destroy(), 300).unref(); // the proxy may never close its side
      return closed;
    },
  };
}
