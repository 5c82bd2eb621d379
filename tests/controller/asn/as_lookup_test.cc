#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

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
  EXPECT_EQ(as->number, 64500u);
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
