import type { BuiltPlaygroundPage } from "@dify-ext/playground/build";
import { PAGE_SECURITY_HEADERS, PLAYGROUND_PATHS } from "@dify-ext/playground/paths";
import {
  DEFAULT_STREAM_BUFFER,
  type ExplainRequest,
  type ParamsByPoint,
  parseExplainBody,
  parseParams,
} from "@dify-ext/protocol";
import { checkContentLimits, clip, type ExtraRoute, type HandlerContext, HttpError } from "@dify-ext/receive";

/** The points the playground explains. */
const EXPLAINED = ["app.moderation.input", "app.moderation.output"] as const;

/**
 * The playground's routes, which a moderation app adds to its receive endpoint: `POST
 * /api/playground/explain` (behind the same key and limits as Dify's calls; its body is checked
 * against `explainBodySchema`, then its params as the point's) and, when the page is given,
 * `GET /playground` with its script and style sheet (no key; a strict Content-Security-Policy).
 */
export function playgroundRoutes(
  explain: (request: ExplainRequest, context: HandlerContext) => Promise<unknown>,
  page?: BuiltPlaygroundPage,
): ExtraRoute[] {
  const routes: ExtraRoute[] = [
    {
      kind: "call",
      path: PLAYGROUND_PATHS.explain,
      async handle(body, context, limits) {
        const request = parseExplainBody(body);
        const { point } = request;
        context.logFields.point = clip(point, 100);
        if (point !== "app.moderation.input" && point !== "app.moderation.output") {
          throw new HttpError(
            "unsupported_point",
            `point "${clip(point, 60)}" cannot be explained here; the playground explains: ${EXPLAINED.join(", ")}`,
          );
        }
        context.logFields.mode = request.mode;
        const params = parseParams(point, request.params);
        checkContentLimits(params as Record<string, unknown>, limits);
        return explain(
          point === "app.moderation.input"
            ? { point, params: params as ParamsByPoint["app.moderation.input"], mode: "single" }
            : {
                point,
                params: params as ParamsByPoint["app.moderation.output"],
                mode: request.mode,
                bufferSize: request.buffer_size ?? DEFAULT_STREAM_BUFFER,
              },
          context,
        );
      },
    },
  ];
  if (page) {
    const asset = (path: string, type: string, body: string): ExtraRoute => ({
      kind: "asset",
      path,
      headers: { ...PAGE_SECURITY_HEADERS, "content-type": `${type}; charset=utf-8` },
      body,
    });
    routes.push(
      asset(PLAYGROUND_PATHS.html, "text/html", page.html),
      asset(PLAYGROUND_PATHS.script, "text/javascript", page.script),
      asset(PLAYGROUND_PATHS.style, "text/css", page.style),
    );
  }
  return routes;
}

/**
 * The playground page, bundled by esbuild from `@dify-ext/playground` (loaded only when the
 * playground is on, so a service without it never loads esbuild).
 */
export async function buildPlaygroundPage(): Promise<BuiltPlaygroundPage> {
  const { buildPlaygroundPage: build } = await import("@dify-ext/playground/build");
  return build();
}
