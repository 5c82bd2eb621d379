// MetricsHttpServer: serves GET /metrics (the Prometheus text format) over plain HTTP with
// Debian's cpp-httplib, on its own thread, for `pathpair-agent --metrics-listen ADDR:PORT`.
// Anything else is 404. The body comes from a callback, read per scrape.
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

class MetricsHttpServer {
 public:
  // Binds host:port (an IP literal or a name; port 0 picks a free one) and starts serving.
  // Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& host, int port, std::function<std::string()> render);
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }

 private:
  MetricsHttpServer(std::unique_ptr<httplib::Server> server, int port);

  std::unique_ptr<httplib::Server> server_;
  int port_;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

}  // namespace pathpair::agent::metrics

#endif  // PATHPAIR_AGENT_METRICS_METRICS_HTTP_H_
