// Test helpers to pick findings out of a v1::Diagnosis by code.
//
//   EXPECT_THAT(TtlsOf(d, v1::ICMP_RATE_LIMITED_HOP), ElementsAre(2, 6));
//   EXPECT_FALSE(Has(d, v1::PACKET_LOSS));
#ifndef PATHPAIR_TESTS_CONTROLLER_DIAGNOSIS_FINDING_MATCHERS_H_
#define PATHPAIR_TESTS_CONTROLLER_DIAGNOSIS_FINDING_MATCHERS_H_

#include <string>
#include <vector>

#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::diagnosis::testing {

inline std::vector<v1::Finding> WithCode(const v1::Diagnosis& d, v1::FindingCode code) {
  std::vector<v1::Finding> out;
  for (const v1::Finding& f : d.findings()) {
    if (f.code() == code) out.push_back(f);
  }
  return out;
}

// TTLs of the findings with this code (0 for whole-path findings), in report order.
inline std::vector<int> TtlsOf(const v1::Diagnosis& d, v1::FindingCode code) {
  std::vector<int> out;
  for (const v1::Finding& f : WithCode(d, code)) out.push_back(f.has_ttl() ? f.ttl() : 0);
  return out;
}

inline bool Has(const v1::Diagnosis& d, v1::FindingCode code) { return !WithCode(d, code).empty(); }

inline std::vector<std::string> Codes(const v1::Diagnosis& d) {
  std::vector<std::string> out;
  for (const v1::Finding& f : d.findings()) out.push_back(v1::FindingCode_Name(f.code()));
  return out;
}

}  // namespace pathpair::diagnosis::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_DIAGNOSIS_FINDING_MATCHERS_H_
