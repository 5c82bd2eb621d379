// MetricsHttpServer: serves GET /metrics (the Prometheus text format) over plain HTTP with
// Debian's cpp-httplib, on its own thread, for `pathpair-agent --metrics-listen ADDR:PORT`.
// Anything else is 404. The body comes from a callback, read per scrape. StartWithHandler
// serves any GET through one callback instead.
//
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<MetricsHttpServer> server,
//       MetricsHttpServer::Start("127.0.0.1", 9464, [] { return metrics::Global().Render(); }));
//   ...  // server->port() is the bound port (0 asks the kernel for one)
//   server.reset();  // stops serving and joins the thread
#ifndef PATHPAIR_AGENT_METRICS_METRICS_HTTP_H_
#define PATHPAIR_AGENT_METRICS_METRICS_HTTP_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace pathpair::agent::metrics {

// What a GET handler answers (StartWithHandler).
struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class MetricsHttpServer {
 public:
  // Binds host:port (an IP literal or a name; port 0 picks a free one) and starts serving.
  // Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& host, int port, std::function<std::string()> render);
  // The same server answering every GET through `handle(path)` (path without the query;
  // `pathpair serve`'s /metrics, /runs, /healthz: controller/fleet/fleet_http.h).
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> StartWithHandler(
      const std::string& host, int port, std::function<HttpReply(const std::string& path)> handle);
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }

 private:
  MetricsHttpServer(std::unique_ptr<httplib::Server> server, int port);
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Bind(
      std::unique_ptr<httplib::Server> server, const std::string& host, int port);

  std::unique_ptr<httplib::Server> server_;
  int port_;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

}  // namespace pathpair::agent::metrics

#endif  // PATHPAIR_AGENT_METRICS_METRICS_HTTP_H_
