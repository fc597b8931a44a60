// The browser explorer's HTTP server (node:http): the single page and the JSON API it calls.
// It listens on 127.0.0.1 only and answers only requests addressed to that host (a page on
// another site cannot reach it through a DNS name that resolves to 127.0.0.1), and its page
// fetches nothing from anywhere else (the Content-Security-Policy says so to the browser).
//
//   GET  /                       the page
//   GET  /api/model              the model, variant, params, property names, lanes, the trace given
//   GET  /api/state?path=0,3,1   everything shown at the end of a path (src/ui/session.ts StateView)
//   POST /api/search             {path, target} -> the path extended to the nearest target, or why not
//   POST /api/trace              a trace file's JSON -> its path in this model
//
// Bad input (a path that does not fit, an unknown witness, a trace of another model) is a 400
// with {"error": one line}; the model's own code throwing is a 500 with its message.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../core/model.ts';
import { ModelError } from '../explore/traverse.ts';
import { TRACE_BYTES_MAX, validateTrace } from '../trace/trace.ts';
import type { Instance } from '../verify/index.ts';
import { modelInfo, parsePath, stateView, tracePath, type TracePath } from './session.ts';
import { parseTarget, searchFrom, SEARCH_STATES_MAX, SEARCH_TIME_LIMIT_MS } from './search.ts';
import { explorerPage } from './page.ts';

export const HOST = '127.0.0.1';

export interface ExploreServerOptions {
  readonly instance: Instance;
  /** 0 (default): a free port chosen by the kernel. */
  readonly port?: number;
  /** A trace given on the command line, opened when the page has no path of its own. */
  readonly trace?: TracePath & { readonly file: string };
  readonly searchStatesMax?: number;
  readonly searchTimeLimitMs?: number;
}

export interface ExploreServer {
  readonly url: string;
  readonly port: number;
  /** Stops listening, ends open connections and stops running searches. */
  close(): Promise<void>;
}

/** Starts the server; a port in use (or not allowed) is an InputError. */
export async function startExploreServer(options: ExploreServerOptions): Promise<ExploreServer> {
  const stop = { aborted: false };
  const page = explorerPage();
  let port = options.port ?? 0;
  const server = createServer((req, res) => {
    handle(req, res, options, port, page, stop).catch((e: unknown) => sendError(res, e));
  });
  await listen(server, port);
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    close: () => {
      stop.aborted = true;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new InputError(`port ${port} on ${HOST} is in use`));
      else if (e.code === 'EACCES') reject(new InputError(`port ${port} on ${HOST}: permission denied`));
      else reject(new InputError(`cannot listen on ${HOST}:${port} (${e.code ?? e.message})`));
    };
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ExploreServerOptions, port: number, page: string, stop: { aborted: boolean }): Promise<void> {
  const host = req.headers.host ?? '';
  if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) {
    send(res, 403, 'text/plain; charset=utf-8', `this explorer answers only at http://${HOST}:${port}/\n`);
    return;
  }
  const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
  const route = `${req.method ?? 'GET'} ${url.pathname}`;
  const { instance } = options;
  switch (route) {
    case 'GET /':
    case 'GET /index.html':
      send(res, 200, 'text/html; charset=utf-8', page);
      return;
    case 'GET /favicon.ico':
      send(res, 204, 'text/plain', '');
      return;
    case 'GET /api/model':
      sendJson(res, 200, {
        ...modelInfo(instance),
        searchStatesMax: options.searchStatesMax ?? SEARCH_STATES_MAX,
        ...(options.trace === undefined ? {} : { trace: options.trace }),
      });
      return;
    case 'GET /api/state':
      sendJson(res, 200, stateView(instance, parsePath(url.searchParams.get('path') ?? '0')));
      return;
    case 'POST /api/search': {
      const body = jsonBody(await readBody(req));
      const path = pathField(body);
      const target = parseTarget(instance.model, (body as Record<string, unknown>).target);
      const outcome = await searchFrom(instance, path, target, {
        statesMax: options.searchStatesMax ?? SEARCH_STATES_MAX,
        timeLimitMs: options.searchTimeLimitMs ?? SEARCH_TIME_LIMIT_MS,
        signal: stop,
      });
      sendJson(res, 200, outcome);
      return;
    }
    case 'POST /api/trace': {
      const trace = validateTrace(jsonBody(await readBody(req)), 'the trace');
      sendJson(res, 200, tracePath(instance, trace, 'the trace'));
      return;
    }
    default: {
      const known = ['/', '/api/model', '/api/state', '/api/search', '/api/trace'].includes(url.pathname);
      sendJson(res, known ? 405 : 404, { error: known ? `${req.method} is not allowed on ${url.pathname}` : `no such page: ${url.pathname}` });
    }
  }
}

/** A path in a request body: an array of indices or the URL form "0,3,1". */
function pathField(body: unknown): number[] {
  const path = (body as Record<string, unknown>).path;
  if (typeof path === 'string') return parsePath(path);
  if (Array.isArray(path) && path.every((x) => Number.isSafeInteger(x) && x >= 0)) return parsePath(path.join(','));
  throw new InputError('"path" must be a list of action indices, e.g. [0,3,1]');
}

function jsonBody(text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InputError(`the request body is not valid JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new InputError('the request body must be a JSON object');
  return data as Record<string, unknown>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > TRACE_BYTES_MAX) {
        reject(new InputError(`the request body is larger than ${TRACE_BYTES_MAX} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The browser may load nothing but what this server sends: inline script and styles (the
 * page is one file), fetches to this server, the chart in an inline frame. */
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof InputError) {
    sendJson(res, 400, { error: e.message });
  } else if (e instanceof ModelError) {
    sendJson(res, 500, { error: e.message });
  } else {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`faultline explore: internal error: ${e instanceof Error ? e.stack : message}\n`);
    sendJson(res, 500, { error: `internal error: ${message}` });
  }
}
