/**
 * The embedding service (node's http module, no framework):
 *
 *   GET  /health  -> 200 {"status":"ok", backend, imageSize, dim, k, inFlight, queued, served, rejected}
 *   POST /embed   Content-Type image/png | image/jpeg | image/webp | application/octet-stream:
 *                 the body is one image -> 200 {"embedding":[d floats],"clusterId":c,"distance":x}
 *   POST /embed   Content-Type application/json, body {"images":["<base64>", ...]} (1..maxImages):
 *                 -> 200 {"results":[{"embedding":[..],"clusterId":c,"distance":x}, ...]} in order
 *
 * Bad input gets a 4xx with {"error": message} and never takes the service down: 400 empty body,
 * malformed JSON or base64; 404/405 unknown path or method; 413 body over maxBodyBytes or more
 * than maxImages images; 415 another content type; 422 an image that is not an image, corrupt,
 * truncated or over the pixel limit (a decompression-bomb guard, sharp's limitInputPixels).
 * Memory and work are bounded: at most `concurrency` requests are embedded at once and `queue`
 * more wait; a request beyond that is answered 503 (Retry-After: 1) before its body is read, so
 * at most (concurrency + queue) bodies of maxBodyBytes are held.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { currentBackend } from '@courier/runtime';
import type { Embedded, ServeModel } from './model';

export interface ServeLimits {
  /** Largest request body accepted (bytes). Default 16 MiB. */
  maxBodyBytes: number;
  /** Most images in one JSON batch. Default 64. */
  maxImages: number;
  /** Requests embedded at once. Default 2. */
  concurrency: number;
  /** Requests waiting for a slot; beyond this, 503. Default 32. */
  queue: number;
  /** Whole-request time limit (ms); node closes slower requests. Default 30 s. */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServeLimits = { maxBodyBytes: 16 * 1024 * 1024, maxImages: 64, concurrency: 2, queue: 32, requestTimeoutMs: 30000 };

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Admission control: `concurrency` slots and a bounded FIFO of waiters. */
class Gate {
  active = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(
    private readonly slots: number,
    private readonly maxWaiting: number,
  ) {}
  get queued(): number {
    return this.waiters.length;
  }
  /** A promise of a slot, or null when the queue is full. */
  tryEnter(): Promise<void> | null {
    if (this.active < this.slots) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiters.length >= this.maxWaiting) return null;
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  leave(): void {
    const next = this.waiters.shift();
    if (next) next(); // the slot passes on
    else this.active--;
  }
}

const round = (x: number) => Math.round(x * 1e7) / 1e7;
const toJson = (e: Embedded) => ({ embedding: Array.from(e.embedding, round), clusterId: e.clusterId, distance: e.distance === null ? null : round(e.distance) });

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return reject(new HttpError(413, `body of ${declared} bytes is over the limit of ${limit} bytes (maxBodyBytes)`));
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new HttpError(413, `body over the limit of ${limit} bytes (maxBodyBytes)`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) reject(new HttpError(400, `could not read the body: ${err.message}`));
      failed = true;
    });
  });
}

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}$/;

/** The images of a request and a name for each (for error messages). */
function parseImages(contentType: string, body: Buffer, limits: ServeLimits): { images: Buffer[]; names: string[]; batch: boolean } {
  if (body.length === 0) throw new HttpError(400, 'empty body: send the image bytes (Content-Type image/png, image/jpeg, image/webp) or JSON {"images": ["<base64>", ...]}');
  if (contentType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, `malformed JSON: ${(err as Error).message}`);
    }
    const list = (parsed as { images?: unknown })?.images;
    if (!Array.isArray(list)) throw new HttpError(400, 'JSON body must be {"images": ["<base64 image>", ...]}');
    if (list.length === 0) throw new HttpError(400, '"images" is empty: send 1 to maxImages images');
    if (list.length > limits.maxImages) throw new HttpError(413, `${list.length} images in one request; at most ${limits.maxImages} (maxImages)`);
    const images = list.map((v, i) => {
      if (typeof v !== 'string' || !BASE64.test(v)) throw new HttpError(400, `images[${i}] is not a base64 string`);
      return Buffer.from(v, 'base64');
    });
    return { images, names: images.map((_, i) => `images[${i}]`), batch: true };
  }
  if (IMAGE_TYPES.includes(contentType)) return { images: [body], names: ['body'], batch: false };
  throw new HttpError(415, `Content-Type "${contentType || '(none)'}" is not accepted; send one of ${IMAGE_TYPES.join(', ')} (one image) or application/json {"images": [base64, ...]} (a batch)`);
}

export interface ServeStats {
  served: number;
  rejected: Record<string, number>;
}

export interface RunningServer {
  server: http.Server;
  url: string;
  stats: ServeStats;
  close(): Promise<void>;
}

/** Builds the HTTP server around a loaded model (not listening yet). */
export function createServer(model: ServeModel, limitsIn: Partial<ServeLimits> = {}, log: (line: string) => void = () => {}): { server: http.Server; stats: ServeStats } {
  const limits = { ...DEFAULT_LIMITS, ...limitsIn };
  const gate = new Gate(limits.concurrency, limits.queue);
  const stats: ServeStats = { served: 0, rejected: {} };

  const send = (res: http.ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) => {
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify(payload);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };
  const fail = (req: http.IncomingMessage, res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}) => {
    stats.rejected[status] = (stats.rejected[status] ?? 0) + 1;
    log(`${req.method} ${req.url} -> ${status}: ${message}`);
    // A body we will not read: close the connection after answering instead of draining it.
    send(res, status, { error: message }, { Connection: 'close', ...headers });
  };

  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    if (url === '/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return fail(req, res, 405, 'GET /health');
      return send(res, 200, {
        status: 'ok',
        backend: currentBackend()?.name ?? null,
        imageSize: model.imageSize,
        dim: model.dim,
        k: model.k,
        rule: model.rule,
        inFlight: gate.active,
        queued: gate.queued,
        served: stats.served,
        rejected: stats.rejected,
        limits,
      });
    }
    if (url !== '/embed') return fail(req, res, 404, `no route ${url}; use POST /embed or GET /health`);
    if (req.method !== 'POST') return fail(req, res, 405, `${req.method} /embed: use POST with the image bytes or JSON {"images": [...]}`, { Allow: 'POST' });
    const slot = gate.tryEnter();
    if (!slot) return fail(req, res, 503, `busy: ${limits.concurrency} requests in progress and ${limits.queue} waiting; retry shortly`, { 'Retry-After': '1' });
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    (async () => {
      let entered = false;
      try {
        // Type and size are known from the headers: refuse before reading (or queueing) the body.
        if (contentType !== 'application/json' && !IMAGE_TYPES.includes(contentType)) parseImages(contentType, Buffer.alloc(1), limits);
        const body = await readBody(req, limits.maxBodyBytes);
        await slot;
        entered = true;
        const { images, names, batch } = parseImages(contentType, body, limits);
        let embedded: Embedded[];
        try {
          embedded = await model.embedImages(images, names);
        } catch (err) {
          if ((err as Error).name === 'ContractError') throw new HttpError(422, (err as Error).message);
          throw err;
        }
        stats.served += images.length;
        send(res, 200, batch ? { results: embedded.map(toJson) } : toJson(embedded[0]));
      } catch (err) {
        if (err instanceof HttpError) fail(req, res, err.status, err.message);
        else fail(req, res, 500, `internal error: ${(err as Error).message}`);
      } finally {
        if (entered) gate.leave();
        else void slot.then(() => gate.leave());
      }
    })();
  });
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = Math.min(limits.requestTimeoutMs, 10000);
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy(err);
  });
  return { server, stats };
}

/** Starts listening (127.0.0.1 by default; port 0 picks a free one). */
export async function startServer(model: ServeModel, options: { host?: string; port?: number; limits?: Partial<ServeLimits>; log?: (line: string) => void } = {}): Promise<RunningServer> {
  const { server, stats } = createServer(model, options.limits, options.log);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    server,
    url,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
