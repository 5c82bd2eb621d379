#include "agent/metrics/metrics_http.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace pathpair::agent::metrics {

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& host, int port, std::function<std::string()> render) {
  auto server = std::make_unique<httplib::Server>();
  server->Get("/metrics",
              [render = std::move(render)](const httplib::Request&, httplib::Response& response) {
                response.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
              });
  return Bind(std::move(server), host, port);
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::StartWithHandler(
    const std::string& host, int port, std::function<HttpReply(const std::string& path)> handle) {
  auto server = std::make_unique<httplib::Server>();
  server->Get(".*", [handle = std::move(handle)](const httplib::Request& request,
                                                 httplib::Response& response) {
    HttpReply reply = handle(request.path);
    response.status = reply.status;
    response.set_content(reply.body, reply.content_type);
  });
  return Bind(std::move(server), host, port);
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Bind(
    std::unique_ptr<httplib::Server> server, const std::string& host, int port) {
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, with which a second agent on
  // the same port would bind silently and take half the scrapes.
  server->set_socket_options([](int fd) {
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Scrapers are few and fast; two worker threads are plenty (the default is one per core).
  server->new_task_queue = [] { return new httplib::ThreadPool(2); };
  int bound = port;
  if (port == 0) {
    bound = server->bind_to_any_port(host);
  } else if (!server->bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for metrics on ", host, ":", port,
                                               " (address in use, or not a local address?)"));
  }
  return std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer(std::move(server), bound));
}

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<httplib::Server> server, int port)
    : server_(std::move(server)), port_(port) {
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
}

MetricsHttpServer::~MetricsHttpServer() {
  // stop() only takes effect once the loop runs: a stop before it would be lost and the join
  // would wait forever.
  while (!server_->is_running() && !listen_returned_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace pathpair::agent::metrics
