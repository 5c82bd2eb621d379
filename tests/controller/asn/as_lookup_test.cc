#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "controller/asn/cymru_as_lookup.h"
#include "controller/asn/mmdb_as_lookup.h"
#include "tests/controller/asn/fake_dns.h"
#include "tests/controller/asn/fixture.h"
#include "tests/controller/asn/mmdb_writer.h"

namespace pathpair::asn {
namespace {

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

class MmdbAsLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> path = testing::WriteAsFixture("as_lookup_test.mmdb");
    ASSERT_TRUE(path.ok()) << path.status();
    auto db = MmdbAsLookup::Open(*path);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }
  std::unique_ptr<MmdbAsLookup> db_;
};

TEST_F(MmdbAsLookupTest, FindsIpv4Networks) {
  EXPECT_EQ(db_->database_type(), "GeoLite2-ASN");
  auto as = db_->Lookup(Ip("198.51.100.7"));
  ASSERT_TRUE(as.ok()) << as.status();
  EXPECT_EQ(as->number, 64500u);
  EXPECT_EQ(as->name, "Example Client ISP");
  EXPECT_EQ(db_->Lookup(Ip("198.51.100.63"))->number, 64500u);  // /26 boundary
  EXPECT_EQ(db_->Lookup(Ip("198.51.100.64"))->number, 64501u);
  EXPECT_EQ(db_->Lookup(Ip("198.51.100.255"))->number, 64502u);
  EXPECT_EQ(db_->Lookup(Ip("203.0.113.10"))->name, "Example Hosting");
}

TEST_F(MmdbAsLookupTest, FindsIpv6Networks) {
  EXPECT_EQ(db_->Lookup(Ip("2001:db8:1::1"))->number, 64500u);
  EXPECT_EQ(db_->Lookup(Ip("2001:db8:5:ffff::10"))->number, 64510u);
}

TEST_F(MmdbAsLookupTest, UnknownAddressesAreNotFound) {
  EXPECT_EQ(db_->Lookup(Ip("10.0.0.1")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(db_->Lookup(Ip("203.0.114.1")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(db_->Lookup(Ip("2001:db8:4::1")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(db_->kind(), AsSourceKind::kMmdb);
}

TEST(MmdbAsLookupOpenTest, MissingAndCorruptFiles) {
  EXPECT_EQ(MmdbAsLookup::Open("/nonexistent/as.mmdb").status().code(),
            absl::StatusCode::kNotFound);
  const std::string junk = ::testing::TempDir() + "/junk.mmdb";
  std::ofstream(junk) << "this is not a MaxMind database";
  EXPECT_EQ(MmdbAsLookup::Open(junk).status().code(), absl::StatusCode::kInvalidArgument);
  // Truncated: the metadata marker is gone.
  testing::MmdbWriter writer;
  ASSERT_TRUE(writer.AddAs("198.51.100.0/24", 1, "x").ok());
  const std::string bytes = writer.Serialize();
  const std::string cut = ::testing::TempDir() + "/cut.mmdb";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_FALSE(MmdbAsLookup::Open(cut).ok());
}

TEST(MmdbWriterTest, RejectsOverlapsAndBadNetworks) {
  testing::MmdbWriter writer;
  EXPECT_TRUE(writer.AddAs("198.51.100.0/25", 1, "a").ok());
  EXPECT_FALSE(writer.AddAs("198.51.100.0/26", 2, "b").ok());
  EXPECT_FALSE(writer.AddAs("198.51.100.0", 2, "b").ok());
  EXPECT_FALSE(writer.AddAs("198.51.100.0/33", 2, "b").ok());
  EXPECT_FALSE(writer.AddAs("nonsense/8", 2, "b").ok());
}

TEST(StaticAsLookupTest, Table) {
  StaticAsLookup lookup;
  lookup.Add(Ip("198.51.100.1"), {64500, "A"});
  EXPECT_EQ(lookup.Lookup(Ip("198.51.100.1"))->name, "A");
  EXPECT_FALSE(lookup.Lookup(Ip("198.51.100.2")).ok());
}

TEST(CymruTest, QueryNamesAndRecords) {
  EXPECT_EQ(CymruQueryName(Ip("198.51.100.7")), "7.100.51.198.origin.asn.cymru.com");
  EXPECT_EQ(
      CymruQueryName(Ip("2001:db8::1")),
      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.origin6.asn.cymru.com");
  auto as = ParseCymruOriginTxt("64500 64501 | 198.51.100.0/24 | ZZ | test | 2001-01-01");
  ASSERT_TRUE(as.ok());
  EXPECT_EQ(as->as.number, 64500u);
  EXPECT_EQ(as->prefix, "198.51.100.0/24");
  EXPECT_EQ(as->country, "ZZ");
  EXPECT_EQ(as->registry, "test");
  EXPECT_EQ(as->allocated, "2001-01-01");
  EXPECT_EQ(IpInfoField(*as, 0), "64500");
  EXPECT_EQ(IpInfoField(*as, 1), "198.51.100.0/24");
  EXPECT_EQ(IpInfoField(*as, 2), "ZZ");
  EXPECT_EQ(IpInfoField(*as, 3), "test");
  EXPECT_EQ(IpInfoField(*as, 4), "2001-01-01");
  EXPECT_EQ(IpInfoField(*as, 5), "");
  EXPECT_EQ(IpInfoField(IpInfo{}, 0), "");
  auto short_record = ParseCymruOriginTxt("64500 | 198.51.100.0/24");
  ASSERT_TRUE(short_record.ok());
  EXPECT_EQ(short_record->country, "");
  EXPECT_FALSE(ParseCymruOriginTxt("").ok());
  EXPECT_FALSE(ParseCymruOriginTxt("x | y").ok());
  EXPECT_EQ(*ParseCymruAsNameTxt("64500 | ZZ | arin | 2001-01-01 | EXAMPLE - Example Org, ZZ"),
            "EXAMPLE - Example Org, ZZ");
  EXPECT_FALSE(ParseCymruAsNameTxt("64500 | ZZ").ok());
}

TEST(CymruTest, NotConfiguredByDefault) {
  CymruAsLookup dns;
  EXPECT_EQ(dns.Lookup(Ip("198.51.100.7")).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(dns.kind(), AsSourceKind::kDns);
}

TEST(CymruTest, LooksUpThroughDns) {
  testing::FakeDns server({
      {"7.100.51.198.origin.asn.cymru.com", "64500 | 198.51.100.0/24 | ZZ | test | 2001-01-01"},
      {"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.5.0.0.0.8.b.d.0.1.0.0.2.origin6.asn.cymru.com",
       "64510 | 2001:db8:5::/48 | ZZ | test | 2001-01-01"},
      {"as64500.asn.cymru.com", "64500 | ZZ | test | 2001-01-01 | EXAMPLE-ISP - Example ISP, ZZ"},
  });
  ASSERT_TRUE(server.ok());
  CymruAsLookup::Options options;
  options.servers = server.servers();
  options.timeout_ms = 500;
  auto dns = CymruAsLookup::Create(options);
  ASSERT_TRUE(dns.ok()) << dns.status();
  auto as = (*dns)->Lookup(Ip("198.51.100.7"));
  ASSERT_TRUE(as.ok()) << as.status();
  EXPECT_EQ(as->number, 64500u);
  EXPECT_EQ(as->name, "EXAMPLE-ISP - Example ISP, ZZ");
  const int queries = server.queries();
  EXPECT_EQ((*dns)->Lookup(Ip("198.51.100.7"))->number, 64500u);  // cached
  EXPECT_EQ(server.queries(), queries);
  auto v6 = (*dns)->Lookup(Ip("2001:db8:5::1"));
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->number, 64510u);
  EXPECT_EQ(v6->name, "");  // no AS record: the number alone
  EXPECT_EQ((*dns)->Lookup(Ip("203.0.113.9")).status().code(), absl::StatusCode::kNotFound);
}

TEST(CymruTest, PeekNeverWaitsAndTheAnswerFillsInLater) {
  testing::FakeDns server({
      {"7.100.51.198.origin.asn.cymru.com", "64500 | 198.51.100.0/24 | ZZ | test | 2001-01-01"},
      {"8.100.51.198.origin.asn.cymru.com", "64500 | 198.51.100.0/24 | ZZ | test | 2001-01-01"},
      {"as64500.asn.cymru.com", "64500 | ZZ | test | 2001-01-01 | EXAMPLE-ISP - Example ISP, ZZ"},
  });
  ASSERT_TRUE(server.ok());
  CymruAsLookup::Options options;
  options.servers = server.servers();
  options.timeout_ms = 500;
  options.lookup_wait = absl::ZeroDuration();  // as the trace command uses it
  auto dns = CymruAsLookup::Create(options);
  ASSERT_TRUE(dns.ok()) << dns.status();
  server.set_hold(true);  // the answer cannot arrive before the checks below
  EXPECT_EQ((*dns)->Peek(Ip("198.51.100.7")), std::nullopt);  // started, not waited for
  EXPECT_EQ((*dns)->Lookup(Ip("198.51.100.7")).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  server.set_hold(false);
  ASSERT_TRUE((*dns)->WaitIdle(absl::Seconds(10)));
  std::optional<IpInfo> info = (*dns)->Peek(Ip("198.51.100.7"));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->as.number, 64500u);
  EXPECT_EQ(info->as.name, "EXAMPLE-ISP - Example ISP, ZZ");
  EXPECT_EQ(info->country, "ZZ");
  EXPECT_EQ((*dns)->Lookup(Ip("198.51.100.7"))->number, 64500u);
  // A second address of the same AS asks for its origin only: the name is known.
  const int queries = server.queries();
  (*dns)->Peek(Ip("198.51.100.8"));
  ASSERT_TRUE((*dns)->WaitIdle(absl::Seconds(10)));
  EXPECT_EQ((*dns)->Peek(Ip("198.51.100.8"))->as.name, "EXAMPLE-ISP - Example ISP, ZZ");
  EXPECT_EQ(server.queries(), queries + 1);
}

TEST(CymruTest, UnreachableServerIsAnError) {
  int port = 0;
  {
    testing::FakeDns closed({});  // take a free port, then release it
    ASSERT_TRUE(closed.ok());
    port = std::stoi(closed.servers().substr(closed.servers().find(':') + 1));
  }
  CymruAsLookup::Options options;
  options.servers = "127.0.0.1:" + std::to_string(port);
  options.timeout_ms = 100;
  options.tries = 1;
  auto dns = CymruAsLookup::Create(options);
  ASSERT_TRUE(dns.ok()) << dns.status();
  EXPECT_FALSE((*dns)->Lookup(Ip("198.51.100.7")).ok());
  options.servers = "not a server list";
  EXPECT_FALSE(CymruAsLookup::Create(options).ok());
}

}  // namespace
}  // namespace pathpair::asn
