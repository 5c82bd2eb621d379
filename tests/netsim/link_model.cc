#include "tests/netsim/link_model.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace pathpair::netsim {

using v1::Jitter;

double SampleJitterMs(const Jitter& jitter, SimRandom& rng) {
  const double mean = jitter.mean_ms();
  double sample = 0;
  switch (jitter.distribution()) {
    case v1::JITTER_UNIFORM:
      sample = 2.0 * mean * rng.Uniform();
      break;
    case v1::JITTER_NORMAL:
      // |N(0, s)| has mean s * sqrt(2 / pi).
      sample = std::fabs(rng.StandardNormal()) * mean / std::sqrt(2.0 / std::numbers::pi);
      break;
    case v1::JITTER_EXPONENTIAL:
      sample = rng.Exponential(mean);
      break;
    case v1::JITTER_PARETO: {
      // Lomax: scale * (U^(-1/shape) - 1), mean = scale / (shape - 1).
      const double shape = jitter.pareto_shape() > 1.0 ? jitter.pareto_shape() : 2.5;
      const double scale = mean * (shape - 1.0);
      sample = scale * (std::pow(1.0 - rng.Uniform(), -1.0 / shape) - 1.0);
      break;
    }
    default:
      return 0;
  }
  if (jitter.max_ms() > 0) sample = std::min(sample, jitter.max_ms());
  return std::max(sample, 0.0);
}

double JitterMeanMs(const Jitter& jitter) {
  return jitter.distribution() == v1::JITTER_NONE ? 0.0 : jitter.mean_ms();
}

double GilbertElliottMeanLoss(const v1::GilbertElliott& ge) {
  const double to_bad = ge.p_good_to_bad();
  const double to_good = ge.p_bad_to_good();
  if (to_bad <= 0) return ge.loss_good();
  if (to_good <= 0) return ge.loss_bad();
  const double bad_share = to_bad / (to_bad + to_good);
  return (1 - bad_share) * ge.loss_good() + bad_share * ge.loss_bad();
}

double LinkMeanLoss(const v1::Link& link) {
  const double pass = (1 - link.loss()) * (1 - GilbertElliottMeanLoss(link.burst_loss()));
  return 1 - pass;
}

LinkModel::LinkModel(const v1::Link& link, SimRandom rng) : link_(link), rng_(rng) {}

const v1::Link& LinkModel::PropertiesAt(absl::Duration since_start) const {
  const v1::Link* current = &link_;
  const double t = absl::ToDoubleSeconds(since_start);
  for (const auto& change : link_.changes()) {
    if (change.at_s() <= t) current = &change.set();
  }
  return *current;
}

LinkTransit LinkModel::Cross(absl::Duration since_start) {
  const v1::Link& props = PropertiesAt(since_start);
  LinkTransit transit;
  // Always draw the same number of values per packet, so one loss does not shift later draws.
  const bool independent_loss = rng_.Bernoulli(props.loss());
  const auto& ge = props.burst_loss();
  const double ge_draw = rng_.Uniform();
  const double ge_loss_draw = rng_.Uniform();
  if (ge.p_good_to_bad() > 0 || ge.loss_good() > 0) {
    ge_bad_ = ge_bad_ ? !(ge_draw < ge.p_bad_to_good()) : ge_draw < ge.p_good_to_bad();
    const double p = ge_bad_ ? ge.loss_bad() : ge.loss_good();
    if (ge_loss_draw < p) transit.lost = true;
  }
  if (independent_loss) transit.lost = true;
  const double jitter_ms = SampleJitterMs(props.jitter(), rng_);
  transit.delay = absl::Nanoseconds(std::llround((props.delay_ms() + jitter_ms) * 1e6));
  return transit;
}

}  // namespace pathpair::netsim
