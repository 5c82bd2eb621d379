#include "controller/report/paired/html_page.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/report/common/markup_escape.h"
#include "controller/report/common/text_format.h"
#include "controller/report/common/time_format.h"
#include "controller/report/trace/hop_fields.h"

namespace pathpair::html {
namespace {

constexpr char kForwardColor[] = "#1f6fb4";
constexpr char kReverseColor[] = "#d95f02";

double Loss(const v1::HopResult& hop) { return output::LossPercent(hop.sent(), hop.received()); }

std::string LossColor(double loss) {
  if (loss >= 10.0) return "#d62728";
  if (loss >= 1.0) return "#f0a30a";
  return "#2ca02c";
}

// Pastel fill for a network area; the same name gets the same colour in both lanes.
std::string AreaColor(const std::string& name) {
  static const char* kColors[] = {"#dbe9f6", "#fde2cf", "#dff2dc", "#ece0f3",
                                  "#fbf3c8", "#d9f0f0", "#f6dbe6", "#e8e8e8"};
  size_t h = 0;
  for (char c : name) h = h * 131 + static_cast<unsigned char>(c);
  return kColors[h % (sizeof(kColors) / sizeof(kColors[0]))];
}

std::string Fmt(double v) { return std::isfinite(v) ? absl::StrFormat("%.1f", v) : "-"; }

// The plot area shared by both charts.
struct Plot {
  double left = 56, right = 20, top = 34, bottom = 42, width = 960, height = 300;
  int columns = 1;
  double PlotWidth() const { return width - left - right; }
  double PlotHeight() const { return height - top - bottom; }
  double X(int column, double shift) const {
    return left + (column + 0.5) * PlotWidth() / columns + shift;
  }
  double Step() const { return PlotWidth() / columns; }
};

std::string SvgOpen(const Plot& p, const std::string& label) {
  return absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
      "role=\"img\" aria-label=\"%s\" class=\"chart\">\n",
      p.width, p.height, EscapeHtml(label));
}

std::string Axes(const Plot& p, double max_value, const std::string& unit,
                 const v1::TraceResult& forward) {
  std::string out;
  for (int i = 0; i <= 4; ++i) {
    const double v = max_value * i / 4.0;
    const double y = p.top + p.PlotHeight() * (1.0 - i / 4.0);
    absl::StrAppendFormat(
        &out,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
        "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>\n",
        p.left, y, p.width - p.right, y, p.left - 6, y + 4, absl::StrCat(Fmt(v), unit));
  }
  for (int c = 0; c < p.columns; ++c) {
    absl::StrAppendFormat(
        &out, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%d</text>\n",
        p.X(c, 0), p.height - p.bottom + 16,
        c < forward.hops_size() ? forward.hops(c).ttl() : c + 1);
  }
  absl::StrAppendFormat(
      &out,
      "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">hop (forward "
      "numbering)</text>\n",
      p.left + p.PlotWidth() / 2, p.height - 6);
  return out;
}

std::string Legend(const Plot& p) {
  return absl::StrFormat(
      "<rect x=\"%.1f\" y=\"8\" width=\"12\" height=\"12\" fill=\"%s\"/>"
      "<text x=\"%.1f\" y=\"18\" class=\"tick\">forward</text>"
      "<rect x=\"%.1f\" y=\"8\" width=\"12\" height=\"12\" fill=\"%s\"/>"
      "<text x=\"%.1f\" y=\"18\" class=\"tick\">reverse</text>\n",
      p.width - p.right - 170, kForwardColor, p.width - p.right - 154, p.width - p.right - 90,
      kReverseColor, p.width - p.right - 74);
}

std::string LatencySeries(const Plot& p, const v1::TraceResult& r, double max_ms, double shift,
                          const char* color, const char* name) {
  std::string out;
  std::string points;
  auto y = [&](double ms) {
    return p.top + p.PlotHeight() * (1.0 - std::min(ms, max_ms) / max_ms);
  };
  for (int i = 0; i < r.hops_size(); ++i) {
    const v1::HopResult& hop = r.hops(i);
    if (hop.received() == 0) continue;
    const double x = p.X(i, shift);
    const v1::RttStats& s = hop.rtt();
    absl::StrAppendFormat(
        &out,
        "<g><title>%s hop %d: best %s, avg %s, worst %s ms</title>"
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\" "
        "stroke-opacity=\"0.45\"/>"
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/></g>\n",
        name, hop.ttl(), Fmt(s.best_ms()), Fmt(s.avg_ms()), Fmt(s.worst_ms()), x, y(s.best_ms()), x,
        y(s.worst_ms()), color, x - 4, y(s.best_ms()), x + 4, y(s.best_ms()), color, x - 4,
        y(s.worst_ms()), x + 4, y(s.worst_ms()), color, x, y(s.avg_ms()), color);
    absl::StrAppendFormat(&points, "%.1f,%.1f ", x, y(s.avg_ms()));
  }
  if (!points.empty()) {
    absl::StrAppendFormat(
        &out, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
        points, color);
  }
  return out;
}

std::string LossSeries(const Plot& p, const v1::TraceResult& r, double shift, const char* color,
                       const char* name) {
  std::string out;
  const double bar = std::max(2.0, p.Step() / 3.0);
  for (int i = 0; i < r.hops_size(); ++i) {
    const v1::HopResult& hop = r.hops(i);
    if (hop.responders().empty() && hop.sent() > 0) {
      // A hop that never answers is not losing packets: show it apart, not as 100% loss.
      absl::StrAppendFormat(
          &out,
          "<g><title>%s hop %d: no reply (the router does not answer probes)</title>"
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#c9ced6\" "
          "fill-opacity=\"0.5\"/>"
          "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">?</text></g>\n",
          name, hop.ttl(), p.X(i, shift) - bar / 2, p.top, bar, p.PlotHeight(), p.X(i, shift),
          p.top + p.PlotHeight() / 2);
      continue;
    }
    const double loss = Loss(hop);
    const double h = p.PlotHeight() * loss / 100.0;
    absl::StrAppendFormat(&out,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                          "<title>%s hop %d: %.1f%% loss (%d of %d lost)</title></rect>\n",
                          p.X(i, shift) - bar / 2, p.top + p.PlotHeight() - h, bar,
                          std::max(h, 0.0), color, name, hop.ttl(), loss,
                          static_cast<int>(output::DroppedProbes(hop)),
                          static_cast<int>(hop.sent()));
  }
  return out;
}

std::string HopTable(const v1::TraceResult& r, const formats::LabelOptions& label) {
  std::string out =
      "<table class=\"hops\"><thead><tr><th>Hop</th><th class=\"host\">Host</th><th>Loss%</th>"
      "<th>Snt</th><th>Rcv</th><th>Last</th><th>Avg</th><th>Best</th><th>Wrst</th>"
      "<th>StDev</th><th>Jttr</th></tr></thead><tbody>\n";
  for (const v1::HopResult& hop : r.hops()) {
    std::string host = EscapeHtml(formats::HopHostLabel(hop, label));
    for (int i = 1; i < hop.responders_size(); ++i) {
      absl::StrAppend(&host, "<br><span class=\"ecmp\">also ",
                      EscapeHtml(formats::HostLabel(hop.responders(i), label)), "</span>");
    }
    const double loss = Loss(hop);
    const bool answered = hop.received() > 0;
    const v1::RttStats& s = hop.rtt();
    absl::StrAppendFormat(
        &out,
        "<tr><td>%d</td><td class=\"host\">%s</td><td style=\"color:%s\">%.1f</td><td>%d</td>"
        "<td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
        hop.ttl(), host, hop.responders().empty() ? "#9aa3ae" : LossColor(loss), loss, hop.sent(),
        hop.received(), answered ? Fmt(s.last_ms()) : "-", answered ? Fmt(s.avg_ms()) : "-",
        answered ? Fmt(s.best_ms()) : "-", answered ? Fmt(s.worst_ms()) : "-",
        answered ? Fmt(s.stdev_ms()) : "-", answered ? Fmt(s.jitter_ms()) : "-");
  }
  out += "</tbody></table>\n";
  return out;
}

// Names and values, one row each ("" for none): a finding's evidence, the one-way figures.
std::string NameValueTable(const std::vector<std::pair<std::string, std::string>>& rows) {
  if (rows.empty()) return "";
  std::string out = "<table class=\"evidence\">";
  for (const auto& [name, value] : rows) {
    absl::StrAppend(&out, "<tr><th>", EscapeHtml(name), "</th><td>", EscapeHtml(value),
                    "</td></tr>");
  }
  out += "</table>\n";
  return out;
}

std::string FindingsHtml(const std::vector<ReportFinding>& findings) {
  if (findings.empty())
    return "<p class=\"none\">No findings: nothing on either path needs attention.</p>\n";
  std::string out;
  for (const ReportFinding& f : findings) {
    std::string sev = f.severity.empty() ? "info" : f.severity;
    std::string css = sev == "critical" || sev == "warning" || sev == "info" ? sev : "other";
    absl::StrAppend(&out, "<div class=\"finding ", css,
                    "\"><div class=\"fhead\"><span class=\"sev\">", EscapeHtml(sev),
                    "</span> <code>", EscapeHtml(f.code), "</code>");
    if (!f.direction.empty())
      absl::StrAppend(&out, " <span class=\"meta\">", EscapeHtml(f.direction), "</span>");
    if (f.hop > 0) absl::StrAppend(&out, " <span class=\"meta\">hop ", f.hop, "</span>");
    if (!f.area.empty())
      absl::StrAppend(&out, " <span class=\"meta\">", EscapeHtml(f.area), "</span>");
    absl::StrAppend(&out, "</div><p>", EscapeHtml(f.summary), "</p>\n");
    out += NameValueTable(f.evidence);
    if (!f.action.empty())
      absl::StrAppend(&out, "<p class=\"action\"><b>Next step:</b> ", EscapeHtml(f.action),
                      "</p>\n");
    out += "</div>\n";
  }
  return out;
}

std::string OneWayHtml(const PairedReport& report) {
  if (report.oneway.empty() && report.clocks.empty()) return "";
  std::string out = "<section><h2>One-way delay and loss</h2>\n";
  out += NameValueTable(report.oneway);
  if (!report.clocks.empty()) absl::StrAppend(&out, "<p>", EscapeHtml(report.clocks), "</p>\n");
  out += "</section>\n";
  return out;
}

std::string Summary(const v1::TraceResult& r) {
  std::string state = !r.error().empty() ? absl::StrCat("stopped: ", r.error())
                      : r.reached()      ? "target reached"
                                         : "target NOT reached";
  return absl::StrCat(r.hops_size(), " hops, ", r.rounds(), " rounds, ", state);
}

constexpr char kStyle[] = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2733;background:#f4f6f9}
header{background:#1d2733;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c5cfdb;font-size:14px}
main{padding:16px 32px;max-width:1400px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px 20px;margin:14px 0}
h2{font-size:17px;margin:0 0 10px}
.dirs{display:flex;gap:24px;flex-wrap:wrap}.stack{flex-direction:column}.dir{flex:1;min-width:520px}
.dir h3{font-size:15px;margin:4px 0 8px}.fwd{color:#1f6fb4}.rev{color:#d95f02}
table.hops{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
table.hops th,table.hops td{padding:3px 7px;text-align:right;border-bottom:1px solid #e3e7ee}
table.hops th{background:#eef1f6}table.hops .host{text-align:left;white-space:nowrap}.dir{overflow-x:auto}
.ecmp{color:#6b7785;font-size:12px}
.finding{border-left:5px solid #888;padding:6px 12px;margin:10px 0;background:#fafbfc}
.finding.critical{border-color:#d62728}.finding.warning{border-color:#f0a30a}.finding.info{border-color:#1f6fb4}
.finding p{margin:6px 0}.sev{font-weight:bold;text-transform:uppercase;font-size:12px}
.meta{background:#eef1f6;border-radius:4px;padding:1px 6px;font-size:12px;margin-left:4px}
table.evidence{font-size:13px;border-collapse:collapse}table.evidence th{text-align:left;padding:1px 12px 1px 0;color:#4a5664;font-weight:normal}
.action{color:#1d5f2a}.none{color:#2ca02c}
svg.chart{max-width:1000px;display:block}
svg .grid{stroke:#e3e7ee}svg .tick{font-size:11px;fill:#4a5664}svg .axis{font-size:12px;fill:#4a5664}
svg .lane{font-size:13px;font-weight:bold}svg .node{font-size:10px;fill:#fff;font-weight:bold}
svg .addr{font-size:10px;fill:#1d2733}svg .area{font-size:11px;fill:#4a5664}
svg .diverge{font-size:12px;fill:#d62728;font-weight:bold}
footer{color:#6b7785;font-size:12px;padding:0 32px 24px}
)css";

}  // namespace

int DivergenceRow(const PairedReport& report) {
  if (report.divergence_row >= 0) return report.divergence_row;
  if (report.forward_areas.empty() || report.reverse_areas.empty()) return -1;
  auto area_at = [](const std::vector<ReportArea>& areas, int row) -> std::string {
    for (const ReportArea& a : areas) {
      if (row >= a.first_row && row <= a.last_row) return a.name;
    }
    return "";
  };
  const int rows = std::max(report.forward.hops_size(), report.reverse.hops_size());
  for (int row = 0; row < rows; ++row) {
    if (area_at(report.forward_areas, row) != area_at(report.reverse_areas, row)) return row;
  }
  return -1;
}

std::string LatencyChartSvg(const v1::TraceResult& forward, const v1::TraceResult& reverse) {
  Plot p;
  p.columns = std::max({1, forward.hops_size(), reverse.hops_size()});
  double max_ms = 1.0;
  for (const v1::TraceResult* r : {&forward, &reverse}) {
    for (const v1::HopResult& hop : r->hops()) {
      if (hop.received() > 0 && std::isfinite(hop.rtt().worst_ms())) {
        max_ms = std::max(max_ms, hop.rtt().worst_ms());
      }
    }
  }
  max_ms *= 1.1;
  const double shift = std::min(8.0, p.Step() / 5.0);
  std::string out = SvgOpen(p, "latency per hop, best, average and worst, both directions");
  out += Axes(p, max_ms, " ms", forward);
  out += Legend(p);
  out +=
      "<text x=\"56\" y=\"20\" class=\"axis\">round-trip time per hop: dot = average, bar = best "
      "to worst</text>\n";
  out += LatencySeries(p, forward, max_ms, -shift, kForwardColor, "forward");
  out += LatencySeries(p, reverse, max_ms, shift, kReverseColor, "reverse");
  out += "</svg>\n";
  return out;
}

std::string LossChartSvg(const v1::TraceResult& forward, const v1::TraceResult& reverse) {
  Plot p;
  p.height = 240;
  p.columns = std::max({1, forward.hops_size(), reverse.hops_size()});
  const double shift = p.Step() / 6.0;
  std::string out = SvgOpen(p, "packet loss per hop, both directions");
  out += Axes(p, 100.0, "%", forward);
  out += Legend(p);
  out += "<text x=\"56\" y=\"20\" class=\"axis\">loss per hop</text>\n";
  out += LossSeries(p, forward, -shift, kForwardColor, "forward");
  out += LossSeries(p, reverse, shift, kReverseColor, "reverse");
  out += "</svg>\n";
  return out;
}

std::string PathDiagramSvg(const PairedReport& report) {
  const int rows = std::max({1, report.forward.hops_size(), report.reverse.hops_size()});
  const double left = 90, right = 20, width = 1000;
  const double step = (width - left - right) / rows;
  auto x = [&](int row) { return left + (row + 0.5) * step; };
  const double lane_y[2] = {78, 238};
  const double height = 340;
  std::string out = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
      "role=\"img\" aria-label=\"path diagram of both directions\" class=\"chart\">\n",
      width, height);
  const v1::TraceResult* traces[2] = {&report.forward, &report.reverse};
  const std::vector<ReportArea>* areas[2] = {&report.forward_areas, &report.reverse_areas};
  const char* names[2] = {"Forward", "Reverse"};
  const char* colors[2] = {kForwardColor, kReverseColor};
  for (int lane = 0; lane < 2; ++lane) {
    const double y = lane_y[lane];
    for (const ReportArea& a : *areas[lane]) {
      const int first = std::clamp(a.first_row, 0, rows - 1);
      const int last = std::clamp(a.last_row, first, rows - 1);
      const double x0 = x(first) - step / 2 + 1, x1 = x(last) + step / 2 - 1;
      absl::StrAppendFormat(&out,
                            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"54\" rx=\"6\" "
                            "fill=\"%s\" stroke=\"#b8c2cf\"/>"
                            "<text x=\"%.1f\" y=\"%.1f\" class=\"area\">%s</text>\n",
                            x0, y - 40, x1 - x0, AreaColor(a.name), x0 + 4, y - 27,
                            EscapeHtml(output::CutWithMark(
                                a.name, static_cast<size_t>(std::max(4.0, (x1 - x0) / 6.5)))));
    }
    absl::StrAppendFormat(&out, "<text x=\"8\" y=\"%.1f\" class=\"lane\" fill=\"%s\">%s</text>\n",
                          y + 4, colors[lane], names[lane]);
    const v1::TraceResult& r = *traces[lane];
    if (r.hops_size() > 1) {
      absl::StrAppendFormat(&out,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                            "stroke-width=\"2\"/>\n",
                            x(0), y, x(r.hops_size() - 1), y, colors[lane]);
    }
    for (int i = 0; i < r.hops_size(); ++i) {
      const v1::HopResult& hop = r.hops(i);
      const std::string label = formats::HopHostLabel(hop, report.label);
      const double loss = Loss(hop);
      const bool silent = hop.responders().empty();
      absl::StrAppendFormat(
          &out,
          "<g><title>%s hop %d: %s, %.1f%% loss</title>"
          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"10\" fill=\"%s\" stroke=\"#fff\" "
          "stroke-width=\"1.5\"/>"
          "<text x=\"%.1f\" y=\"%.1f\" class=\"node\" text-anchor=\"middle\">%d</text>"
          "<text transform=\"translate(%.1f,%.1f) rotate(35)\" class=\"addr\">%s</text></g>\n",
          names[lane], hop.ttl(), EscapeHtml(silent ? "no reply" : label), loss, x(i), y,
          silent ? "#9aa3ae" : LossColor(loss), x(i), y + 3.5, hop.ttl(), x(i) - 2, y + 18,
          EscapeHtml(output::CutWithMark(label, 18)));
    }
  }
  const int diverge = DivergenceRow(report);
  if (diverge >= 0) {
    const double dx = x(diverge) - step / 2;
    absl::StrAppendFormat(&out,
                          "<line x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" "
                          "stroke-width=\"2\" stroke-dasharray=\"6 4\"/>"
                          "<text x=\"%.1f\" y=\"14\" class=\"diverge\" text-anchor=\"middle\">"
                          "paths diverge</text>\n",
                          dx, dx, height - 8, std::clamp(dx, 60.0, width - 60));
  }
  out += "</svg>\n";
  return out;
}

std::string RenderPairedHtml(const PairedReport& report) {
  const std::string forward_label = report.forward_label.empty()
                                        ? formats::TraceEndsLabel(report.forward, " \u2192 ")
                                        : report.forward_label;
  const std::string reverse_label = report.reverse_label.empty()
                                        ? formats::TraceEndsLabel(report.reverse, " \u2192 ")
                                        : report.reverse_label;
  std::string generated;
  if (report.generated_unix_us > 0) generated = output::FormatReadableUtc(report.generated_unix_us);
  int critical = 0, warning = 0;
  for (const ReportFinding& f : report.findings) {
    critical += f.severity == "critical";
    warning += f.severity == "warning";
  }
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  absl::StrAppend(&out, "<title>", EscapeHtml(report.title), "</title>\n<style>", kStyle,
                  "</style>\n</head>\n<body>\n<header><h1>", EscapeHtml(report.title), "</h1><p>",
                  EscapeHtml(forward_label), " &nbsp;|&nbsp; ", EscapeHtml(reverse_label));
  if (!generated.empty()) absl::StrAppend(&out, " &nbsp;|&nbsp; ", EscapeHtml(generated));
  out += "</p></header>\n<main>\n";

  absl::StrAppend(
      &out,
      "<section><h2>Summary</h2><div class=\"dirs\"><div class=\"dir\"><h3 class=\"fwd\">Forward: ",
      EscapeHtml(forward_label), "</h3><p>", EscapeHtml(Summary(report.forward)),
      "</p></div><div class=\"dir\"><h3 class=\"rev\">Reverse: ", EscapeHtml(reverse_label),
      "</h3><p>", EscapeHtml(Summary(report.reverse)), "</p></div></div>");
  absl::StrAppend(&out, "<p>", report.findings.size(), " findings: ", critical, " critical, ",
                  warning, " warnings.</p></section>\n");

  absl::StrAppend(&out, "<section><h2>Findings</h2>\n", FindingsHtml(report.findings),
                  "</section>\n");
  out += OneWayHtml(report);
  absl::StrAppend(&out, "<section><h2>Path</h2>\n", PathDiagramSvg(report), "</section>\n");
  absl::StrAppend(&out, "<section><h2>Latency per hop</h2>\n",
                  LatencyChartSvg(report.forward, report.reverse), "</section>\n");
  absl::StrAppend(&out, "<section><h2>Loss per hop</h2>\n",
                  LossChartSvg(report.forward, report.reverse), "</section>\n");
  absl::StrAppend(&out,
                  "<section><h2>Hops</h2><div class=\"dirs stack\"><div class=\"dir\"><h3 "
                  "class=\"fwd\">Forward: ",
                  EscapeHtml(forward_label), "</h3>\n", HopTable(report.forward, report.label),
                  "</div><div class=\"dir\"><h3 class=\"rev\">Reverse: ", EscapeHtml(reverse_label),
                  "</h3>\n", HopTable(report.reverse, report.label), "</div></div></section>\n");
  out +=
      "</main>\n<footer>Generated by pathpair. Loss at an intermediate hop that does not "
      "continue to later hops is usually ICMP rate limiting, not packet loss.</footer>\n"
      "</body>\n</html>\n";
  return out;
}

}  // namespace pathpair::html
