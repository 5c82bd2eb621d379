#include "controller/asn/cymru_as_lookup.h"

#include <ares.h>
#include <sys/select.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pathpair::asn {
namespace {

constexpr int kDnsClassIn = 1;
constexpr int kDnsTypeTxt = 16;

struct QueryResult {
  bool done = false;
  int status = ARES_SUCCESS;
  std::string txt;
};

void OnTxtAnswer(void* arg, int status, int /*timeouts*/, unsigned char* answer, int length) {
  auto* result = static_cast<QueryResult*>(arg);
  result->done = true;
  result->status = status;
  if (status != ARES_SUCCESS) return;
  ares_txt_reply* reply = nullptr;
  result->status = ares_parse_txt_reply(answer, length, &reply);
  if (result->status == ARES_SUCCESS && reply != nullptr) {
    result->txt.assign(reinterpret_cast<const char*>(reply->txt), reply->length);
  } else if (result->status == ARES_SUCCESS) {
    result->status = ARES_ENODATA;
  }
  if (reply != nullptr) ares_free_data(reply);
}

}  // namespace

struct CymruAsLookup::Channel {
  ares_channel channel = nullptr;
  ~Channel() {
    if (channel != nullptr) ares_destroy(channel);
  }
};

std::string CymruQueryName(const IpAddress& address) {
  std::string name;
  const auto bytes = address.bytes();
  if (address.is_v4()) {
    for (int i = 3; i >= 0; --i) absl::StrAppend(&name, bytes[i], ".");
    return absl::StrCat(name, "origin.asn.cymru.com");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    name.push_back(kHex[bytes[i] & 0xf]);
    name.push_back('.');
    name.push_back(kHex[bytes[i] >> 4]);
    name.push_back('.');
  }
  return absl::StrCat(name, "origin6.asn.cymru.com");
}

absl::StatusOr<AsInfo> ParseCymruOriginTxt(absl::string_view txt) {
  std::vector<absl::string_view> fields = absl::StrSplit(txt, '|');
  if (fields.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat("not a Cymru origin record: ", txt));
  }
  std::vector<absl::string_view> origins =
      absl::StrSplit(absl::StripAsciiWhitespace(fields[0]), ' ', absl::SkipEmpty());
  uint32_t number = 0;
  if (origins.empty() || !absl::SimpleAtoi(origins[0], &number) || number == 0) {
    return absl::InvalidArgumentError(absl::StrCat("no AS number in Cymru record: ", txt));
  }
  AsInfo info;
  info.number = number;
  return info;
}

absl::StatusOr<std::string> ParseCymruAsNameTxt(absl::string_view txt) {
  std::vector<absl::string_view> fields = absl::StrSplit(txt, '|');
  if (fields.size() < 5) {
    return absl::InvalidArgumentError(absl::StrCat("not a Cymru AS record: ", txt));
  }
  return std::string(absl::StripAsciiWhitespace(fields.back()));
}

CymruAsLookup::CymruAsLookup() = default;
CymruAsLookup::~CymruAsLookup() = default;

absl::StatusOr<std::unique_ptr<CymruAsLookup>> CymruAsLookup::Create(const Options& options) {
  static const int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("c-ares: ", ares_strerror(library)));
  }
  auto lookup = std::unique_ptr<CymruAsLookup>(new CymruAsLookup());
  lookup->options_ = options;
  auto channel = std::make_unique<Channel>();
  ares_options ares{};
  ares.timeout = std::max(1, options.timeout_ms);
  ares.tries = std::max(1, options.tries);
  int rc = ares_init_options(&channel->channel, &ares, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (rc != ARES_SUCCESS) {
    channel->channel = nullptr;
    return absl::UnavailableError(absl::StrCat("c-ares init: ", ares_strerror(rc)));
  }
  if (!options.servers.empty()) {
    rc = ares_set_servers_ports_csv(channel->channel, options.servers.c_str());
    if (rc != ARES_SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("DNS servers \"", options.servers, "\": ", ares_strerror(rc)));
    }
  }
  lookup->channel_ = std::move(channel);
  return lookup;
}

absl::StatusOr<std::string> CymruAsLookup::QueryTxt(const std::string& name) {
  QueryResult result;
  ares_query(channel_->channel, name.c_str(), kDnsClassIn, kDnsTypeTxt, &OnTxtAnswer, &result);
  while (!result.done) {
    fd_set readers;
    fd_set writers;
    FD_ZERO(&readers);
    FD_ZERO(&writers);
    const int count = ares_fds(channel_->channel, &readers, &writers);
    if (count == 0) break;  // nothing in flight: the callback has run or never will
    timeval wait{};
    timeval* timeout = ares_timeout(channel_->channel, nullptr, &wait);
    select(count, &readers, &writers, nullptr, timeout);
    ares_process(channel_->channel, &readers, &writers);
  }
  if (!result.done) return absl::InternalError(absl::StrCat("DNS query for ", name, " lost"));
  if (result.status == ARES_ENOTFOUND || result.status == ARES_ENODATA) {
    return absl::NotFoundError(absl::StrCat("no TXT record for ", name));
  }
  if (result.status != ARES_SUCCESS) {
    return absl::UnavailableError(
        absl::StrCat("DNS query for ", name, ": ", ares_strerror(result.status)));
  }
  return result.txt;
}

absl::StatusOr<AsInfo> CymruAsLookup::Lookup(const IpAddress& address) {
  if (channel_ == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("DNS AS lookup (", CymruQueryName(address), ") is not configured"));
  }
  auto cached = by_address_.find(address);
  if (cached != by_address_.end()) return cached->second;

  absl::StatusOr<AsInfo> info = [&]() -> absl::StatusOr<AsInfo> {
    absl::StatusOr<std::string> txt = QueryTxt(CymruQueryName(address));
    if (!txt.ok()) return txt.status();
    return ParseCymruOriginTxt(*txt);
  }();
  if (info.ok() && options_.lookup_names) {
    auto name = names_.find(info->number);
    if (name == names_.end()) {
      absl::StatusOr<std::string> txt =
          QueryTxt(absl::StrCat("AS", info->number, ".asn.cymru.com"));
      absl::StatusOr<std::string> parsed =
          txt.ok() ? ParseCymruAsNameTxt(*txt) : absl::StatusOr<std::string>(txt.status());
      name = names_.emplace(info->number, parsed.ok() ? *parsed : std::string()).first;
    }
    info->name = name->second;
  }
  // Cache answers and NotFound; retry transient failures next time.
  if (info.ok() || absl::IsNotFound(info.status()) || absl::IsInvalidArgument(info.status())) {
    by_address_.emplace(address, info);
  }
  return info;
}

}  // namespace pathpair::asn
