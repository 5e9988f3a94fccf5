import type { IncomingMessage, ServerResponse } from "node:http";
import type { CoreResponse, ReceiveCore } from "../core.ts";
import { bodyTooLarge, errorBody, HttpError } from "../errors.ts";
import type { Logger } from "../logger.ts";

/**
 * Reads a Node request body as UTF-8, refusing a declared Content-Length over `limit` before
 * reading and stopping as soon as the bytes pass it. On failure the rest is drained, so the client
 * reads the error answer rather than a reset connection.
 */
export function readNodeBody(request: IncomingMessage, limit: number): Promise<string> {
  const declared = request.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    request.resume();
    return Promise.reject(bodyTooLarge(limit));
  }
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: HttpError) => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(bodyTooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      request.off("error", onError);
      if (declared !== undefined && Number(declared) !== size) {
        reject(new HttpError(400, "invalid_body", "the body is shorter or longer than its Content-Length"));
        return;
      }
      resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks, size).toString("utf8"));
    };
    const onError = () => fail(new HttpError(400, "request_aborted", "the client closed the request before sending the whole body"));
    request.on("data", onData);
    request.once("end", onEnd);
    request.once("error", onError);
  });
}

function write(response: ServerResponse, answer: CoreResponse, method: string, closing: boolean): void {
  // Shutting down: tell a keep-alive client not to send another request on this connection.
  if (closing) answer.headers.connection = "close";
  response.writeHead(answer.status, answer.headers);
  response.end(method === "HEAD" ? undefined : answer.body);
}

/**
 * The Node adapter: serves a request straight from `node:http` through the core, with no framework
 * in between. `listen` uses it for the receive endpoint, the path Dify calls for every message,
 * because it is where every microsecond counts (see docs/performance.md).
 */
export function createNodeHandler(
  core: ReceiveCore,
  logger: Logger,
  options: { closing?: () => boolean } = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const closing = options.closing ?? (() => false);
  return function handleNode(request, response) {
    const url = request.url ?? "/";
    const query = url.indexOf("?");
    core
      .handle({
        method: request.method ?? "GET",
        path: query === -1 ? url : url.slice(0, query),
        header: (name) => {
          const value = request.headers[name];
          return Array.isArray(value) ? value.join(", ") : value;
        },
        readBody: (limit) => readNodeBody(request, limit),
      })
      .then(
        (answer) => write(response, answer, request.method ?? "GET", closing()),
        (error: unknown) => {
          logger.error({ err: error }, "unhandled error in the Node adapter");
          if (!response.headersSent) {
            response.writeHead(500, { "content-type": "application/json; charset=utf-8" });
            response.end(errorBody("internal_error", "internal error"));
          } else response.destroy();
        },
      );
  };
}
