#include "controller/report/trace/mtr_formats.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/report/common/markup_escape.h"
#include "controller/report/common/text_format.h"
#include "controller/report/trace/hop_fields.h"

namespace pathpair::formats {
namespace {

uint32_t AsOf(const MtrFormatOptions& options, const v1::Responder* responder) {
  if (!options.as_number || responder == nullptr || responder->address().empty()) return 0;
  return options.as_number(responder->address());
}

std::string CsvValues(const FieldList& fields, const v1::HopResult& hop) {
  std::string out;
  for (const output::HopField* f : fields) {
    if (f->key == ' ') {
      // mtr's blank column reads the Drop counter and prints it as an integer.
      absl::StrAppend(&out, ",", output::DroppedProbes(hop));
    } else if (f->is_integer) {
      absl::StrAppend(&out, ",", static_cast<int64_t>(f->value(hop)));
    } else {
      absl::StrAppendFormat(&out, ",%.2f", f->value(hop));
    }
  }
  return out;
}

// mtr's net_loss: the lost share in thousandths of a percent, truncated.
int64_t LossMilliPercent(const v1::HopResult& hop) {
  if (hop.sent() <= 0) return 0;
  return output::DroppedProbes(hop) * 100000 / hop.sent();
}

}  // namespace

FieldList EffectiveFields(const MtrFormatOptions& options) {
  if (!options.fields.empty()) return options.fields;
  absl::StatusOr<FieldList> fields = ParseFieldSpec(output::kMtrDefaultFieldOrder);
  return fields.ok() ? *fields : FieldList{};
}

std::string FormatCsv(const v1::TraceResult& result, const MtrFormatOptions& options) {
  if (result.hops().empty()) return "";
  const FieldList fields = EffectiveFields(options);
  std::string out = "Mtr_Version,Start_Time,Status,Host,Hop,Ip,";
  if (options.show_as) out += "Asn,";
  for (const output::HopField* f : fields) absl::StrAppend(&out, f->title, ",");
  out += "\n";
  const int64_t start_s = result.start_unix_us() / 1'000'000;
  auto row = [&](const v1::HopResult& hop, const v1::Responder* responder) {
    const std::string label = responder == nullptr ? "???" : HostLabel(*responder, options.label);
    absl::StrAppend(&out, "MTR.", options.version, ",", start_s, ",OK,", result.options().target(),
                    ",", hop.ttl(), ",", label);
    if (options.show_as) absl::StrAppend(&out, ",", AsText(AsOf(options, responder)));
    absl::StrAppend(&out, CsvValues(fields, hop), "\n");
  };
  for (const v1::HopResult& hop : result.hops()) {
    row(hop, hop.responders().empty() ? nullptr : &hop.responders(0));
    if (!options.wide) continue;
    // mtr -w -C: the other responders of the hop, with the hop's figures.
    for (int i = 1; i < hop.responders_size(); ++i) row(hop, &hop.responders(i));
  }
  return out;
}

std::string FormatXml(const v1::TraceResult& result, const MtrFormatOptions& options) {
  const FieldList fields = EffectiveFields(options);
  const v1::ProbeOptions& p = result.options();
  std::string out = "<?xml version=\"1.0\"?>\n";
  absl::StrAppendFormat(&out,
                        "<MTR SRC=\"%s\" DST=\"%s\" TOS=\"0x%X\" PSIZE=\"%d\" "
                        "BITPATTERN=\"0x%02X\" TESTS=\"%d\">\n",
                        EscapeXml(result.source_hostname()), EscapeXml(p.target()),
                        static_cast<unsigned>(p.tos()), p.packet_size() > 0 ? p.packet_size() : 64,
                        static_cast<unsigned>(p.bit_pattern() & 0xff), p.count());
  for (const v1::HopResult& hop : result.hops()) {
    absl::StrAppendFormat(&out, "    <HUB COUNT=\"%d\" HOST=\"%s\">\n", hop.ttl(),
                          EscapeXml(HopHostLabel(hop, options.label)));
    for (const output::HopField* f : fields) {
      if (f->key == ' ') continue;  // not an element in mtr's XML
      // '%' is not allowed in an element name: mtr calls Loss% "Loss".
      const std::string name = f->key == 'L' ? "Loss" : f->title;
      absl::StrAppend(&out, "        <", name, ">", FormatFieldCell(*f, hop), "</", name, ">\n");
    }
    out += "    </HUB>\n";
  }
  out += "</MTR>\n";
  return out;
}

std::string SplitWriter::Update(const v1::TraceResult& snapshot) {
  std::string out;
  int last_ttl = 0;
  for (const v1::HopResult& hop : snapshot.hops()) last_ttl = std::max(last_ttl, hop.ttl());
  // Lines past the new end go away, the last first (mtr's "-<n>").
  while (!lines_.empty() && lines_.rbegin()->first > last_ttl) {
    absl::StrAppend(&out, "-", lines_.rbegin()->first, "\n");
    lines_.erase(std::prev(lines_.end()));
  }
  for (const v1::HopResult& hop : snapshot.hops()) {
    std::string line;
    if (hop.responders().empty()) {
      line = "???";
    } else {
      line = absl::StrFormat(
          "%s %d %d %d %d %d %d", SplitHostLabel(hop.responders(0), options_.label),
          LossMilliPercent(hop), hop.received(), hop.sent(),
          output::WholeNumber(hop.rtt().best_ms()), output::WholeNumber(hop.rtt().avg_ms()),
          output::WholeNumber(hop.rtt().worst_ms()));
    }
    auto it = lines_.find(hop.ttl());
    // mtr starts every line as "???" and prints only changes.
    const std::string& previous = it == lines_.end() ? std::string("???") : it->second;
    if (it != lines_.end() && previous == line) continue;
    if (it == lines_.end() && line == "???") {
      lines_[hop.ttl()] = line;
      continue;
    }
    absl::StrAppend(&out, hop.ttl(), " ", line, "\n");
    lines_[hop.ttl()] = line;
  }
  return out;
}

RawWriter::RawWriter(std::ostream& out, const MtrFormatOptions& options, NameOf name_of)
    : out_(out), options_(options), name_of_(std::move(name_of)) {}

void RawWriter::OnProbeSent(int ttl, uint16_t sequence, MonoTime sent_at) {
  (void)sent_at;
  out_ << "x " << ttl - 1 << " " << sequence << "\n";
  out_.flush();
}

void RawWriter::OnReply(int ttl, uint16_t sequence, const IpAddress& responder, absl::Duration rtt,
                        const std::vector<ProbeMplsLabel>& mpls) {
  const int pos = ttl - 1;
  auto host = last_host_.find(pos);
  if (host == last_host_.end() || !(host->second == responder)) {
    last_host_.insert_or_assign(pos, responder);
    out_ << "h " << pos << " " << responder.ToString() << "\n";
    if (options_.show_mpls) {
      for (const ProbeMplsLabel& l : mpls) {
        out_ << "m " << pos << " " << l.label << " " << l.traffic_class << " "
             << (l.bottom_of_stack ? 1 : 0) << " " << l.ttl << "\n";
      }
    }
  }
  if (options_.label.use_names && name_of_ && !named_[pos]) {
    std::optional<std::string> name = name_of_(responder);
    if (name.has_value() && !name->empty()) {
      named_[pos] = true;
      out_ << "d " << pos << " " << *name << "\n";
    }
  }
  out_ << "p " << pos << " " << absl::ToInt64Microseconds(std::max(absl::ZeroDuration(), rtt))
       << " " << sequence << "\n";
  out_.flush();
}

}  // namespace pathpair::formats
