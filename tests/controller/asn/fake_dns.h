// FakeDns: a tiny UDP DNS server on 127.0.0.1 for tests. It answers TXT queries from a fixed
// table (one string each) and NXDOMAIN otherwise, on a thread, until destroyed.
//
//   FakeDns dns({{"7.100.51.198.origin.asn.cymru.com", "64500 | 198.51.100.0/24 | ZZ | x | y"}});
//   options.servers = dns.servers();  // "127.0.0.1:<port>"
#ifndef PATHPAIR_TESTS_CONTROLLER_ASN_FAKE_DNS_H_
#define PATHPAIR_TESTS_CONTROLLER_ASN_FAKE_DNS_H_

#include <atomic>
#include <map>
#include <string>
#include <thread>

namespace pathpair::asn::testing {

class FakeDns {
 public:
  explicit FakeDns(std::map<std::string, std::string> txt_records);
  ~FakeDns();
  FakeDns(const FakeDns&) = delete;
  FakeDns& operator=(const FakeDns&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::string servers() const;
  int queries() const { return queries_.load(); }
  // While held, queries are read but their answers wait until the hold is released, so that a
  // test can see a lookup still under way without racing the server.
  void set_hold(bool hold) { hold_.store(hold); }

 private:
  void Serve();

  std::map<std::string, std::string> records_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::atomic<bool> hold_{false};
  std::thread thread_;
};

}  // namespace pathpair::asn::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_ASN_FAKE_DNS_H_
