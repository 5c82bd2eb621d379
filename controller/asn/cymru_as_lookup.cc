#include "controller/asn/cymru_as_lookup.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/time/clock.h"

namespace pathpair::asn {

// AS names already known, so that addresses of one AS ask for its name once.
struct CymruAsLookup::AsNames {
  absl::Mutex mu;
  std::map<uint32_t, std::string> by_number ABSL_GUARDED_BY(mu);
};

std::string IpInfoField(const IpInfo& info, int field) {
  switch (field) {
    case 0:
      return info.as.number == 0 ? std::string() : absl::StrCat(info.as.number);
    case 1:
      return info.prefix;
    case 2:
      return info.country;
    case 3:
      return info.registry;
    case 4:
      return info.allocated;
    default:
      return "";
  }
}

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

absl::StatusOr<IpInfo> ParseCymruOriginTxt(absl::string_view txt) {
  std::vector<absl::string_view> fields = absl::StrSplit(txt, '|');
  if (fields.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat("not a Cymru origin record: ", txt));
  }
  for (absl::string_view& field : fields) field = absl::StripAsciiWhitespace(field);
  std::vector<absl::string_view> origins = absl::StrSplit(fields[0], ' ', absl::SkipEmpty());
  uint32_t number = 0;
  if (origins.empty() || !absl::SimpleAtoi(origins[0], &number) || number == 0) {
    return absl::InvalidArgumentError(absl::StrCat("no AS number in Cymru record: ", txt));
  }
  IpInfo info;
  info.as.number = number;
  std::string* rest[] = {&info.prefix, &info.country, &info.registry, &info.allocated};
  for (size_t i = 1; i < fields.size() && i <= 4; ++i) *rest[i - 1] = std::string(fields[i]);
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
  dns::AresResolver::Options ares;
  ares.servers = options.servers;
  ares.timeout = absl::Milliseconds(std::max(1, options.timeout_ms));
  ares.tries = options.tries;
  absl::StatusOr<std::unique_ptr<dns::AresResolver>> resolver = dns::AresResolver::Create(ares);
  if (!resolver.ok()) return resolver.status();
  auto lookup = std::unique_ptr<CymruAsLookup>(new CymruAsLookup());
  lookup->options_ = options;
  lookup->as_names_ = std::make_shared<AsNames>();
  lookup->resolver_ = *std::move(resolver);
  CymruAsLookup* self = lookup.get();
  lookup->cache_ = std::make_unique<dns::LookupCache<IpInfo>>(
      [self](const IpAddress& address, dns::LookupCache<IpInfo>::Done done) {
        self->Start(address, std::move(done));
      },
      SystemClock::Get());
  return lookup;
}

void CymruAsLookup::Start(const IpAddress& address, dns::LookupCache<IpInfo>::Done done) {
  dns::TxtResolver* resolver = resolver_.get();
  std::shared_ptr<AsNames> names = as_names_;
  const bool lookup_names = options_.lookup_names;
  resolver->QueryTxt(
      CymruQueryName(address),
      [resolver, names, lookup_names, done = std::move(done)](absl::StatusOr<std::string> txt) {
        if (!txt.ok()) {
          done(txt.status());
          return;
        }
        absl::StatusOr<IpInfo> info = ParseCymruOriginTxt(*txt);
        if (!info.ok() || !lookup_names) {
          done(std::move(info));
          return;
        }
        {
          absl::MutexLock lock(&names->mu);
          auto known = names->by_number.find(info->as.number);
          if (known != names->by_number.end()) {
            info->as.name = known->second;
            done(std::move(info));
            return;
          }
        }
        const uint32_t number = info->as.number;
        resolver->QueryTxt(absl::StrCat("AS", number, ".asn.cymru.com"),
                           [names, number, info = *std::move(info),
                            done](absl::StatusOr<std::string> as_txt) mutable {
                             absl::StatusOr<std::string> name =
                                 as_txt.ok() ? ParseCymruAsNameTxt(*as_txt)
                                             : absl::StatusOr<std::string>(as_txt.status());
                             // No AS record: the number alone, and do not ask again.
                             if (name.ok() || absl::IsNotFound(name.status())) {
                               info.as.name = name.ok() ? *name : std::string();
                               absl::MutexLock lock(&names->mu);
                               names->by_number.emplace(number, info.as.name);
                             }
                             done(std::move(info));
                           });
      });
}

absl::StatusOr<AsInfo> CymruAsLookup::Lookup(const IpAddress& address) {
  if (cache_ == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("DNS AS lookup (", CymruQueryName(address), ") is not configured"));
  }
  absl::StatusOr<IpInfo> info = cache_->Get(address, options_.lookup_wait);
  if (!info.ok()) return info.status();
  return info->as;
}

std::optional<IpInfo> CymruAsLookup::Peek(const IpAddress& address) {
  if (cache_ == nullptr) return std::nullopt;
  return cache_->Peek(address);
}

bool CymruAsLookup::WaitIdle(absl::Duration timeout) {
  return cache_ == nullptr || cache_->WaitIdle(timeout);
}

}  // namespace pathpair::asn
