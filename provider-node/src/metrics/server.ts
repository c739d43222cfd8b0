import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { METRICS_HOST } from "../constants.ts";
import type { ProviderMetrics } from "./metrics.ts";

export type HealthReport = { status: "ok" | "degraded" | "stopping"; [key: string]: unknown };

export type MetricsServer = { url: string; stop(): Promise<void> };

/** /metrics (Prometheus text) and /health (JSON) on loopback; nothing else is served. */
export async function startMetricsServer(port: number, metrics: Pick<ProviderMetrics, "registry">, health: () => HealthReport): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/metrics") {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        (err) => res.writeHead(500).end(String(err)),
      );
    } else if (path === "/health") {
      const report = health();
      const body = JSON.stringify(report, (_, v) => (typeof v === "bigint" ? v.toString() : v));
      res.writeHead(report.status === "stopping" ? 503 : 200, { "content-type": "application/json" }).end(body);
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found: try /metrics or /health\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, METRICS_HOST, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${METRICS_HOST}:${bound}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
