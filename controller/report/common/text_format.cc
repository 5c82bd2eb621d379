#include "controller/report/common/text_format.h"

#include <cmath>
#include <limits>
#include <string>

namespace pathpair::output {

std::string CutWithMark(std::string text, size_t width) {
  if (width == 0) return "";
  if (text.size() > width) {
    text.resize(width);
    text.back() = '~';
  }
  return text;
}

int64_t WholeNumber(double value) {
  if (!std::isfinite(value)) return 0;
  // Figures come from agents: a value past int64_t's range must not reach the conversion (UB).
  constexpr double kLimit = 9.2e18;
  if (value >= kLimit) return std::numeric_limits<int64_t>::max();
  if (value <= -kLimit) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

}  // namespace pathpair::output
