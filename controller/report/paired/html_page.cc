#include "controller/report/paired/html_page.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/report/common/markup_escape.h"
#include "controller/report/common/text_format.h"
#include "controller/report/common/time_format.h"
#include "controller/report/paired/path_rows.h"
#include "controller/report/trace/hop_fields.h"

namespace pathpair::html {
namespace {

constexpr char kForwardColor[] = "#1f6fb4";
constexpr char kReverseColor[] = "#d95f02";
// Hop colours: a fault, loss a finding explains (or small loss), clean, silent, ignored.
constexpr char kFaultColor[] = "#d62728";
constexpr char kLossColor[] = "#f0a30a";
constexpr char kCleanColor[] = "#2ca02c";
constexpr char kSilentColor[] = "#9aa3ae";
constexpr char kIgnoreColor[] = "#7f95ad";

double Loss(const v1::HopResult& hop) { return output::LossPercent(hop.sent(), hop.received()); }

std::string Fmt(double v) { return std::isfinite(v) ? absl::StrFormat("%.1f", v) : "-"; }

// Pastel fill for a network area; the same name gets the same colour in both lanes.
std::string AreaColor(const std::string& name) {
  static const char* kColors[] = {"#dbe9f6", "#fde2cf", "#dff2dc", "#ece0f3",
                                  "#fbf3c8", "#d9f0f0", "#f6dbe6", "#e8e8e8"};
  size_t h = 0;
  for (char c : name) h = h * 131 + static_cast<unsigned char>(c);
  return kColors[h % (sizeof(kColors) / sizeof(kColors[0]))];
}

constexpr const char* kDirections[2] = {"forward", "reverse"};

// Where each direction's hops go on the x axis, and what the findings say about them.
struct Layout {
  int columns = 1;
  bool merged = false;         // columns are the merged path's routers
  std::vector<int> column[2];  // per hop index of the forward / reverse trace; -1: not drawn
  std::vector<HopMark> mark[2];
  bool diagnosed = false;  // findings place the faults: only their hops are drawn red
};

Layout MakeLayout(const PairedReport& report) {
  Layout layout;
  const v1::TraceResult* traces[2] = {&report.forward, &report.reverse};
  for (int d = 0; d < 2; ++d) {
    const int hops = traces[d]->hops_size();
    layout.column[d].assign(hops, -1);
    layout.mark[d].resize(hops);
    for (int i = 0; i < hops; ++i) {
      layout.mark[d][i] = MarkOf(report.findings, kDirections[d], traces[d]->hops(i).ttl());
    }
  }
  layout.diagnosed = !report.verdict.empty() || !report.findings.empty();
  if (!report.path.empty()) {
    layout.merged = true;
    layout.columns = static_cast<int>(report.path.size());
    for (int c = 0; c < layout.columns; ++c) {
      const PathColumn& column = report.path[c];
      if (column.forward_row >= 0 && column.forward_row < report.forward.hops_size()) {
        layout.column[0][column.forward_row] = c;
      }
      if (column.reverse_row >= 0 && column.reverse_row < report.reverse.hops_size()) {
        layout.column[1][column.reverse_row] = c;
      }
    }
    return layout;
  }
  layout.columns = std::max({1, report.forward.hops_size(), report.reverse.hops_size()});
  for (int d = 0; d < 2; ++d) {
    for (size_t i = 0; i < layout.column[d].size(); ++i) layout.column[d][i] = static_cast<int>(i);
  }
  return layout;
}

// The colour of a hop: red where a fault finding points (without a diagnosis: heavy loss), amber
// for other loss, grey-blue for a figure a finding says to ignore.
std::string HopColor(const v1::HopResult& hop, const HopMark& mark, bool diagnosed) {
  if (hop.responders().empty()) return kSilentColor;
  if (mark.ignore) return kIgnoreColor;
  const double loss = Loss(hop);
  if (mark.fault || (loss >= 10.0 && !diagnosed)) return kFaultColor;
  if (loss >= 1.0) return kLossColor;
  return kCleanColor;
}

// data-* attributes of a hop's mark, for tests and for readers of the page's source.
std::string HopData(int direction, const v1::HopResult& hop, int column, const HopMark& mark) {
  return absl::StrFormat(" data-dir=\"%s\" data-ttl=\"%d\" data-address=\"%s\" data-col=\"%d\"%s",
                         kDirections[direction], hop.ttl(),
                         EscapeHtml(hop.responders().empty() ? "" : hop.responders(0).address()),
                         column + 1, mark.ignore ? " data-ignore=\"1\"" : "");
}

// The plot area shared by both charts.
struct Plot {
  double left = 56, right = 20, top = 34, bottom = 46, width = 960, height = 300;
  int columns = 1;
  double PlotWidth() const { return width - left - right; }
  double PlotHeight() const { return height - top - bottom; }
  double X(int column) const { return left + (column + 0.5) * PlotWidth() / columns; }
  double Step() const { return PlotWidth() / columns; }
};

std::string SvgOpen(double width, double height, const std::string& label) {
  return absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
      "role=\"img\" aria-label=\"%s\" class=\"chart\">\n",
      width, height, EscapeHtml(label));
}

std::string Axes(const Plot& p, double max_value, const std::string& unit, const Layout& layout) {
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
  // Every column numbered when they fit, else every few.
  const int every = std::max(1, static_cast<int>(std::ceil(18.0 / p.Step())));
  for (int c = 0; c < p.columns; c += every) {
    absl::StrAppendFormat(
        &out, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%d</text>\n",
        p.X(c), p.height - p.bottom + 16, c + 1);
  }
  absl::StrAppendFormat(
      &out, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">%s</text>\n",
      p.left + p.PlotWidth() / 2, p.height - 8,
      layout.merged ? "router on the merged path, client first (one x is one "
                      "router in both directions)"
                    : "hop");
  return out;
}

std::string Legend(const Plot& p) {
  return absl::StrFormat(
      "<rect x=\"%.1f\" y=\"8\" width=\"12\" height=\"12\" fill=\"%s\"/>"
      "<text x=\"%.1f\" y=\"18\" class=\"tick\">way out</text>"
      "<rect x=\"%.1f\" y=\"8\" width=\"12\" height=\"12\" fill=\"%s\"/>"
      "<text x=\"%.1f\" y=\"18\" class=\"tick\">way back</text>\n",
      p.width - p.right - 170, kForwardColor, p.width - p.right - 154, p.width - p.right - 90,
      kReverseColor, p.width - p.right - 74);
}

const char* WayName(int direction) { return direction == 0 ? "way out" : "way back"; }

std::string LatencySeries(const Plot& p, const Layout& layout, int direction,
                          const v1::TraceResult& r, double max_ms) {
  const char* color = direction == 0 ? kForwardColor : kReverseColor;
  // The best-worst bars side by side; the average dots at the router's very x.
  const double bar_shift = direction == 0 ? -3 : 3;
  std::string out;
  std::vector<std::pair<int, double>> points;  // column, avg: the line runs client first
  auto y = [&](double ms) {
    return p.top + p.PlotHeight() * (1.0 - std::min(ms, max_ms) / max_ms);
  };
  for (int i = 0; i < r.hops_size(); ++i) {
    const v1::HopResult& hop = r.hops(i);
    const int column = layout.column[direction][i];
    if (hop.received() == 0 || column < 0) continue;
    const double x = p.X(column);
    const double bx = x + bar_shift;
    const v1::RttStats& s = hop.rtt();
    absl::StrAppendFormat(
        &out,
        "<g><title>%s, hop %d (router %d): best %s, avg %s, worst %s ms</title>"
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\" "
        "stroke-opacity=\"0.45\"/>"
        "<circle class=\"avg\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"#fff\"%s/>"
        "</g>\n",
        WayName(direction), hop.ttl(), column + 1, Fmt(s.best_ms()), Fmt(s.avg_ms()),
        Fmt(s.worst_ms()), bx, y(s.best_ms()), bx, y(s.worst_ms()), color, x, y(s.avg_ms()),
        direction == 0 ? 6 : 4, color, HopData(direction, hop, column, layout.mark[direction][i]));
    points.emplace_back(column, y(s.avg_ms()));
  }
  std::sort(points.begin(), points.end());
  if (!points.empty()) {
    std::string line;
    for (const auto& [column, py] : points)
      absl::StrAppendFormat(&line, "%.1f,%.1f ", p.X(column), py);
    absl::StrAppendFormat(
        &out, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s/>\n",
        line, color, direction == 1 ? " stroke-dasharray=\"5 3\"" : "");
  }
  return out;
}

std::string LossSeries(const Plot& p, const Layout& layout, int direction,
                       const v1::TraceResult& r) {
  const char* color = direction == 0 ? kForwardColor : kReverseColor;
  const double bar = std::max(2.0, p.Step() / 3.0);
  const double shift = (direction == 0 ? -1 : 1) * p.Step() / 6.0;
  std::string out;
  for (int i = 0; i < r.hops_size(); ++i) {
    const v1::HopResult& hop = r.hops(i);
    const int column = layout.column[direction][i];
    if (column < 0) continue;
    const double x = p.X(column) + shift;
    const HopMark& mark = layout.mark[direction][i];
    if (hop.responders().empty() && hop.sent() > 0) {
      // A hop that never answers is not losing packets: show it apart, not as 100% loss.
      absl::StrAppendFormat(
          &out,
          "<g><title>%s, hop %d: no reply (the router does not answer probes)</title>"
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#c9ced6\" "
          "fill-opacity=\"0.5\"%s/>"
          "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">?</text></g>\n",
          WayName(direction), hop.ttl(), x - bar / 2, p.top, bar, p.PlotHeight(),
          HopData(direction, hop, column, mark), x, p.top + p.PlotHeight() / 2);
      continue;
    }
    const double loss = Loss(hop);
    const double h = p.PlotHeight() * loss / 100.0;
    absl::StrAppendFormat(
        &out,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s>"
        "<title>%s, hop %d: %.1f%% loss (%d of %d lost)%s</title></rect>\n",
        x - bar / 2, p.top + p.PlotHeight() - h, bar, std::max(h, 0.0),
        mark.ignore ? kIgnoreColor : color, HopData(direction, hop, column, mark),
        WayName(direction), hop.ttl(), loss, static_cast<int>(output::DroppedProbes(hop)),
        static_cast<int>(hop.sent()), mark.ignore ? ": to be ignored (see the findings)" : "");
  }
  return out;
}

std::string HopTable(const v1::TraceResult& r, const Layout& layout, int direction,
                     const formats::LabelOptions& label) {
  std::string out =
      "<table class=\"hops\"><thead><tr><th>Hop</th><th class=\"host\">Host</th><th>Loss%</th>"
      "<th>Snt</th><th>Rcv</th><th>Last</th><th>Avg</th><th>Best</th><th>Wrst</th>"
      "<th>StDev</th><th>Jttr</th></tr></thead><tbody>\n";
  for (int i = 0; i < r.hops_size(); ++i) {
    const v1::HopResult& hop = r.hops(i);
    std::string host = EscapeHtml(formats::HopHostLabel(hop, label));
    for (int k = 1; k < hop.responders_size(); ++k) {
      absl::StrAppend(&host, "<br><span class=\"ecmp\">also ",
                      EscapeHtml(formats::HostLabel(hop.responders(k), label)), "</span>");
    }
    const HopMark& mark = layout.mark[direction][i];
    const bool answered = hop.received() > 0;
    const v1::RttStats& s = hop.rtt();
    absl::StrAppendFormat(
        &out,
        "<tr><td>%d</td><td class=\"host\">%s</td><td class=\"loss\" style=\"color:%s\"%s>%.1f</td>"
        "<td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
        "</tr>\n",
        hop.ttl(), host, HopColor(hop, mark, layout.diagnosed),
        HopData(direction, hop, layout.column[direction][i], mark), Loss(hop), hop.sent(),
        hop.received(), answered ? Fmt(s.last_ms()) : "-", answered ? Fmt(s.avg_ms()) : "-",
        answered ? Fmt(s.best_ms()) : "-", answered ? Fmt(s.worst_ms()) : "-",
        answered ? Fmt(s.stdev_ms()) : "-", answered ? Fmt(s.jitter_ms()) : "-");
  }
  out += "</tbody></table>\n";
  return out;
}

// Names and values, one row each: a finding's evidence.
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

std::string DirectionWords(const std::string& direction) {
  if (direction == "forward") return "way out";
  if (direction == "reverse") return "way back";
  if (direction == "both") return "both ways";
  return direction;
}

std::string FindingsHtml(const std::vector<ReportFinding>& findings) {
  if (findings.empty())
    return "<p class=\"none\">No findings: nothing on either path needs attention.</p>\n";
  std::string out;
  for (const ReportFinding& f : findings) {
    const std::string sev = f.severity.empty() ? "info" : f.severity;
    const std::string css = sev == "problem" || sev == "warning" || sev == "info" ? sev : "other";
    absl::StrAppend(&out, "<div class=\"finding ", css, f.ignore ? " ignore" : "",
                    "\" data-code=\"", EscapeHtml(f.code), "\" data-direction=\"",
                    EscapeHtml(f.direction), "\"",
                    f.hop > 0 ? absl::StrCat(" data-hop=\"", f.hop, "\" data-hop-dir=\"",
                                             EscapeHtml(f.hop_direction), "\"")
                              : std::string(),
                    "><div class=\"fhead\"><span class=\"sev\">", EscapeHtml(sev), "</span> <code>",
                    EscapeHtml(f.code), "</code>");
    if (!f.direction.empty()) {
      absl::StrAppend(&out, " <span class=\"meta dir\">", EscapeHtml(DirectionWords(f.direction)),
                      "</span>");
    }
    if (f.hop > 0) {
      absl::StrAppend(&out, " <span class=\"meta\">",
                      f.hop_direction == "reverse" ? "reverse " : "", "hop ", f.hop,
                      f.address.empty() ? "" : " ", EscapeHtml(f.address), "</span>");
    }
    if (!f.area.empty())
      absl::StrAppend(&out, " <span class=\"meta\">", EscapeHtml(f.area), "</span>");
    if (f.ignore) absl::StrAppend(&out, " <span class=\"meta\">ignore this figure</span>");
    absl::StrAppend(&out, "</div><p>", EscapeHtml(f.summary), "</p>\n");
    if (!f.action.empty())
      absl::StrAppend(&out, "<p class=\"action\"><b>Next step:</b> ", EscapeHtml(f.action),
                      "</p>\n");
    if (!f.evidence.empty()) {
      absl::StrAppend(&out, "<details><summary>Evidence</summary>", NameValueTable(f.evidence),
                      "</details>\n");
    }
    out += "</div>\n";
  }
  return out;
}

std::string VerdictHtml(const PairedReport& report) {
  int problems = 0, warnings = 0;
  const ReportFinding* top = nullptr;
  for (const ReportFinding& f : report.findings) {
    problems += f.severity == "problem";
    warnings += f.severity == "warning";
  }
  // The finding that names the direction answers best; else the first fault.
  for (const ReportFinding& f : report.findings) {
    if (IsFault(f) &&
        (top == nullptr || (IsDirectionCode(f.code) && !IsDirectionCode(top->code)))) {
      top = &f;
    }
  }
  const std::string verdict = report.verdict.empty() ? "unknown" : report.verdict;
  std::string out =
      absl::StrCat("<section id=\"verdict\" class=\"verdict ", EscapeHtml(verdict),
                   "\" data-verdict=\"", EscapeHtml(verdict), "\"><div class=\"vword\">",
                   EscapeHtml(absl::AsciiStrToUpper(verdict)), "</div><div class=\"vtext\">");
  if (top != nullptr) {
    absl::StrAppend(&out, "<p class=\"vmain\">", EscapeHtml(top->summary), "</p>");
  } else if (verdict == "healthy") {
    absl::StrAppend(&out, "<p class=\"vmain\">Nothing on either path needs attention.</p>");
  }
  absl::StrAppend(&out, "<p>", report.findings.size(), " findings: ", problems,
                  problems == 1 ? " problem, " : " problems, ", warnings,
                  warnings == 1 ? " warning." : " warnings.");
  if (!report.status.empty() && report.status != "complete") {
    absl::StrAppend(&out, " <b>This run is ", EscapeHtml(report.status),
                    ":</b> it shows what was measured (see the run errors below).");
  }
  absl::StrAppend(&out, "</p>");
  if (!report.verdict_line.empty()) {
    absl::StrAppend(&out, "<p class=\"vline\">", EscapeHtml(report.verdict_line), "</p>");
  }
  absl::StrAppend(&out, "</div></section>\n");
  return out;
}

std::string OneWayHtml(const PairedReport& report) {
  if (report.oneway.empty() && report.clocks.empty()) return "";
  std::string out =
      "<section id=\"oneway\"><h2>One-way delay and loss</h2>\n<table class=\"oneway\"><thead>"
      "<tr><th>Direction</th><th>Loss</th><th>Delay min / avg / max</th><th>Variation "
      "(stdev)</th><th>Clock method</th><th>Error bound</th></tr></thead><tbody>\n";
  for (const OneWayRow& row : report.oneway) {
    absl::StrAppend(&out, "<tr data-dir=\"", EscapeHtml(row.direction), "\"><th class=\"",
                    row.direction == "reverse" ? "rev" : "fwd", "\">", EscapeHtml(row.label),
                    "</th><td class=\"loss\">", EscapeHtml(row.loss), "</td><td>",
                    EscapeHtml(row.delay), "</td><td>", EscapeHtml(row.variation),
                    "</td><td class=\"clock\">", EscapeHtml(row.clock), "</td><td class=\"bound\">",
                    EscapeHtml(row.error_bound), "</td></tr>\n");
  }
  out += "</tbody></table>\n";
  if (!report.clocks.empty()) {
    absl::StrAppend(&out, "<p class=\"clocks\">", EscapeHtml(report.clocks), "</p>\n");
  }
  bool details = false;
  for (const OneWayRow& row : report.oneway) details = details || !row.details.empty();
  if (details) {
    out +=
        "<details><summary>Figures as the text report prints them</summary><table "
        "class=\"evidence\">";
    for (const OneWayRow& row : report.oneway) {
      absl::StrAppend(&out, "<tr><th>", EscapeHtml(row.label), "</th><td>", EscapeHtml(row.details),
                      "</td></tr>");
    }
    out += "</table></details>\n";
  }
  out += "</section>\n";
  return out;
}

// One direction's cells of a merged-path row: hop, loss, average.
std::string MergedCells(const v1::TraceResult& r, int row, int direction, const Layout& layout) {
  if (row < 0 || row >= r.hops_size()) return "<td></td><td></td><td></td>";
  const v1::HopResult& hop = r.hops(row);
  const HopMark& mark = layout.mark[direction][row];
  std::string css = direction == 0 ? "fwd-cell" : "rev-cell";
  if (mark.fault) css += " fault";
  if (mark.ignore) css += " ignored";
  const std::string data = HopData(direction, hop, layout.column[direction][row], mark);
  if (hop.received() == 0) {
    return absl::StrCat("<td>", hop.ttl(), "</td><td class=\"loss ", css, "\"", data,
                        ">no reply</td><td>-</td>");
  }
  return absl::StrFormat(
      "<td>%d</td><td class=\"loss %s\" style=\"color:%s\"%s>%.1f%%</td><td>%s</td>", hop.ttl(),
      css, HopColor(hop, mark, layout.diagnosed), data, Loss(hop), Fmt(hop.rtt().avg_ms()));
}

std::string MergedNote(const PairedReport& report, const PathColumn& column) {
  std::string note;
  for (const ReportFinding& f : report.findings) {
    if (f.hop <= 0) continue;
    const bool reverse = f.hop_direction == "reverse";
    const int row = reverse ? column.reverse_row : column.forward_row;
    const v1::TraceResult& trace = reverse ? report.reverse : report.forward;
    if (row < 0 || row >= trace.hops_size() || trace.hops(row).ttl() != f.hop) continue;
    if (!IsFault(f) && !f.ignore) continue;
    if (!note.empty()) note += "; ";
    absl::StrAppend(&note, f.ignore ? "ignore: " : "", f.code, " (", DirectionWords(f.direction),
                    ")");
  }
  return note;
}

std::string MergedPathHtml(const PairedReport& report, const Layout& layout) {
  if (report.path.empty()) return "";
  bool faulty[2] = {false, false};
  for (const ReportFinding& f : report.findings) {
    if (!IsFault(f) || f.code == "ASYMMETRIC_PATH") continue;
    faulty[0] = faulty[0] || f.direction == "forward" || f.direction == "both";
    faulty[1] = faulty[1] || f.direction == "reverse" || f.direction == "both";
  }
  std::string out = absl::StrCat(
      "<section id=\"merged\"><h2>Path, router by router</h2>\n<p class=\"hint\">Client first. "
      "Each direction's hop at a router is numbered as that direction's own trace counts it; "
      "a red cell is where a finding points, a grey-blue one a figure to ignore.</p>\n"
      "<div class=\"dir\"><table class=\"merged\"><thead><tr><th rowspan=\"2\">#</th>"
      "<th rowspan=\"2\" class=\"host\">Router</th><th rowspan=\"2\">Matched</th>"
      "<th colspan=\"3\" class=\"fwd",
      faulty[0] ? " faulty" : "", "\" data-dir=\"forward\">Way out (client \u2192 server)",
      faulty[0] ? " \u2014 faulty direction" : "", "</th><th colspan=\"3\" class=\"rev",
      faulty[1] ? " faulty" : "", "\" data-dir=\"reverse\">Way back (server \u2192 client)",
      faulty[1] ? " \u2014 faulty direction" : "",
      "</th><th rowspan=\"2\" class=\"host\">Note</th></tr><tr><th>Hop</th><th>Loss</th>"
      "<th>Avg ms</th><th>Hop</th><th>Loss</th><th>Avg ms</th></tr></thead><tbody>\n");
  for (size_t c = 0; c < report.path.size(); ++c) {
    const PathColumn& column = report.path[c];
    absl::StrAppend(
        &out, "<tr data-pos=\"", c + 1, "\"", column.one_way_only ? " class=\"oneway-only\"" : "",
        "><td>", c + 1, "</td><td class=\"host\">", EscapeHtml(column.router), "</td><td>",
        EscapeHtml(column.match), "</td>",
        MergedCells(report.forward, column.forward_row, 0, layout),
        MergedCells(report.reverse, column.reverse_row, 1, layout), "<td class=\"host note\">",
        EscapeHtml(MergedNote(report, column)), "</td></tr>\n");
  }
  out += "</tbody></table></div></section>\n";
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
.verdict{display:flex;gap:20px;align-items:center;border-left:10px solid #888}
.verdict.healthy{border-color:#2ca02c}.verdict.degraded{border-color:#f0a30a}.verdict.broken{border-color:#d62728}
.vword{font-size:28px;font-weight:bold;letter-spacing:1px;min-width:170px}
.verdict.healthy .vword{color:#2ca02c}.verdict.degraded .vword{color:#b87503}.verdict.broken .vword{color:#d62728}
.vtext p{margin:4px 0}.vmain{font-size:16px}.vline{color:#6b7785;font-size:12px}
.dirs{display:flex;gap:24px;flex-wrap:wrap}.stack{flex-direction:column}.dir{flex:1;min-width:520px}
.dir h3{font-size:15px;margin:4px 0 8px}.fwd{color:#1f6fb4}.rev{color:#d95f02}
table.hops,table.merged,table.oneway{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
table.hops th,table.hops td,table.merged th,table.merged td,table.oneway th,table.oneway td{padding:3px 7px;text-align:right;border-bottom:1px solid #e3e7ee}
table.hops th,table.merged thead th,table.oneway thead th{background:#eef1f6}
table.hops .host,table.merged .host,table.oneway th,table.oneway td{text-align:left;white-space:nowrap}.dir{overflow-x:auto}
table.merged th.faulty{background:#fbe3e3;color:#a31d1e}
table.merged td.fault{background:#fbe3e3;font-weight:bold}
table.merged td.ignored{background:#e9eef4}
table.merged tr.oneway-only td{font-style:italic}table.merged td{white-space:nowrap}
.note{color:#4a5664}.hint{color:#6b7785;font-size:13px;margin:0 0 8px}
.ecmp{color:#6b7785;font-size:12px}
.finding{border-left:5px solid #888;padding:6px 12px;margin:10px 0;background:#fafbfc}
.finding.problem{border-color:#d62728}.finding.warning{border-color:#f0a30a}.finding.info{border-color:#1f6fb4}
.finding.ignore{border-color:#7f95ad}
.finding p{margin:6px 0}.sev{font-weight:bold;font-size:12px}
.meta{background:#eef1f6;border-radius:4px;padding:1px 6px;font-size:12px;margin-left:4px}
details summary{cursor:pointer;color:#4a5664;font-size:13px}
table.evidence{font-size:13px;border-collapse:collapse}table.evidence th{text-align:left;padding:1px 12px 1px 0;color:#4a5664;font-weight:normal}
.action{color:#1d5f2a}.none{color:#2ca02c}.clocks{font-size:13px;color:#4a5664}
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

std::string LatencyChartSvg(const PairedReport& report) {
  const Layout layout = MakeLayout(report);
  Plot p;
  p.columns = layout.columns;
  double max_ms = 1.0;
  for (const v1::TraceResult* r : {&report.forward, &report.reverse}) {
    for (const v1::HopResult& hop : r->hops()) {
      if (hop.received() > 0 && std::isfinite(hop.rtt().worst_ms())) {
        max_ms = std::max(max_ms, hop.rtt().worst_ms());
      }
    }
  }
  max_ms *= 1.1;
  std::string out =
      SvgOpen(p.width, p.height, "latency per router, best, average and worst, both directions");
  out += Axes(p, max_ms, " ms", layout);
  out += Legend(p);
  out +=
      "<text x=\"56\" y=\"20\" class=\"axis\">round-trip time: dot = average, bar = best to "
      "worst</text>\n";
  out += LatencySeries(p, layout, 0, report.forward, max_ms);
  out += LatencySeries(p, layout, 1, report.reverse, max_ms);
  out += "</svg>\n";
  return out;
}

std::string LossChartSvg(const PairedReport& report) {
  const Layout layout = MakeLayout(report);
  Plot p;
  p.height = 240;
  p.columns = layout.columns;
  std::string out = SvgOpen(p.width, p.height, "packet loss per router, both directions");
  out += Axes(p, 100.0, "%", layout);
  out += Legend(p);
  out += "<text x=\"56\" y=\"20\" class=\"axis\">loss per hop</text>\n";
  out += LossSeries(p, layout, 0, report.forward);
  out += LossSeries(p, layout, 1, report.reverse);
  out += "</svg>\n";
  return out;
}

std::string PathDiagramSvg(const PairedReport& report) {
  const Layout layout = MakeLayout(report);
  const int columns = layout.columns;
  // The right margin leaves room for the last labels, which slant down to the right.
  constexpr size_t kLabelChars = 18;
  const double left = 90, right = 110, width = 1000;
  const double step = (width - left - right) / columns;
  auto x = [&](int column) { return left + (column + 0.5) * step; };
  const double lane_y[2] = {78, 238};
  const double height = 340;
  std::string out = SvgOpen(width, height, "path diagram of both directions");
  const v1::TraceResult* traces[2] = {&report.forward, &report.reverse};
  const std::vector<ReportArea>* areas[2] = {&report.forward_areas, &report.reverse_areas};
  const char* names[2] = {"Way out", "Way back"};
  const char* colors[2] = {kForwardColor, kReverseColor};
  for (int lane = 0; lane < 2; ++lane) {
    const double y = lane_y[lane];
    const std::vector<int>& column_of = layout.column[lane];
    for (const ReportArea& a : *areas[lane]) {
      int first = columns, last = -1;
      for (int row = std::max(0, a.first_row);
           row <= a.last_row && row < static_cast<int>(column_of.size()); ++row) {
        if (column_of[row] < 0) continue;
        first = std::min(first, column_of[row]);
        last = std::max(last, column_of[row]);
      }
      if (last < 0) continue;
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
    int first = columns, last = -1;
    for (int c : column_of) {
      if (c < 0) continue;
      first = std::min(first, c);
      last = std::max(last, c);
    }
    if (last < 0) {
      absl::StrAppendFormat(&out, "<text x=\"%.1f\" y=\"%.1f\" class=\"area\">no result</text>\n",
                            left, y + 4);
    }
    if (last > first) {
      absl::StrAppendFormat(&out,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                            "stroke-width=\"2\"/>\n",
                            x(first), y, x(last), y, colors[lane]);
    }
    for (int i = 0; i < r.hops_size(); ++i) {
      const int column = column_of[i];
      if (column < 0) continue;
      const v1::HopResult& hop = r.hops(i);
      const HopMark& mark = layout.mark[lane][i];
      const std::string label = formats::HopHostLabel(hop, report.label);
      const bool silent = hop.responders().empty();
      absl::StrAppendFormat(
          &out,
          "<g><title>%s, hop %d: %s, %.1f%% loss%s</title>"
          "<circle class=\"hop\" cx=\"%.1f\" cy=\"%.1f\" r=\"10\" fill=\"%s\" stroke=\"%s\" "
          "stroke-width=\"%s\"%s/>"
          "<text x=\"%.1f\" y=\"%.1f\" class=\"node\" text-anchor=\"middle\">%d</text>"
          "<text transform=\"translate(%.1f,%.1f) rotate(35)\" class=\"addr\">%s</text></g>\n",
          WayName(lane), hop.ttl(), EscapeHtml(silent ? "no reply" : label), Loss(hop),
          mark.ignore  ? " (to be ignored, see the findings)"
          : mark.fault ? " (a fault)"
                       : "",
          x(column), y, HopColor(hop, mark, layout.diagnosed), mark.fault ? kFaultColor : "#fff",
          mark.fault ? "3" : "1.5", HopData(lane, hop, column, mark), x(column), y + 3.5, hop.ttl(),
          x(column) - 2, y + 18, EscapeHtml(output::CutWithMark(label, kLabelChars)));
    }
  }
  int diverge = -1;  // a column
  if (layout.merged) {
    for (size_t c = 0; c < report.path.size(); ++c) {
      if (report.path[c].one_way_only) {
        diverge = static_cast<int>(c);
        break;
      }
    }
  } else {
    diverge = DivergenceRow(report);
  }
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
  const Layout layout = MakeLayout(report);
  const std::string forward_label = report.forward_label.empty()
                                        ? formats::TraceEndsLabel(report.forward, " \u2192 ")
                                        : report.forward_label;
  const std::string reverse_label = report.reverse_label.empty()
                                        ? formats::TraceEndsLabel(report.reverse, " \u2192 ")
                                        : report.reverse_label;
  std::string generated;
  if (report.generated_unix_us > 0) generated = output::FormatReadableUtc(report.generated_unix_us);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  absl::StrAppend(&out, "<title>", EscapeHtml(report.title), "</title>\n<style>", kStyle,
                  "</style>\n</head>\n<body>\n<header><h1>", EscapeHtml(report.title), "</h1><p>",
                  EscapeHtml(forward_label), " &nbsp;|&nbsp; ", EscapeHtml(reverse_label));
  if (!generated.empty()) absl::StrAppend(&out, " &nbsp;|&nbsp; ", EscapeHtml(generated));
  out += "</p></header>\n<main>\n";

  // The answer first: the verdict, the findings, the one-way figures.
  out += VerdictHtml(report);
  absl::StrAppend(&out, "<section id=\"findings\"><h2>Findings</h2>\n",
                  FindingsHtml(report.findings), "</section>\n");
  out += OneWayHtml(report);
  out += MergedPathHtml(report, layout);
  absl::StrAppend(
      &out,
      "<section><h2>Both directions</h2><div class=\"dirs\"><div class=\"dir\"><h3 "
      "class=\"fwd\">Forward: ",
      EscapeHtml(forward_label), "</h3><p>", EscapeHtml(Summary(report.forward)),
      "</p></div><div class=\"dir\"><h3 class=\"rev\">Reverse: ", EscapeHtml(reverse_label),
      "</h3><p>", EscapeHtml(Summary(report.reverse)), "</p></div></div></section>\n");
  absl::StrAppend(&out, "<section id=\"diagram\"><h2>Path</h2>\n", PathDiagramSvg(report),
                  "</section>\n");
  absl::StrAppend(&out, "<section id=\"latency\"><h2>Latency per router</h2>\n",
                  LatencyChartSvg(report), "</section>\n");
  absl::StrAppend(&out, "<section id=\"loss\"><h2>Loss per router</h2>\n", LossChartSvg(report),
                  "</section>\n");
  absl::StrAppend(
      &out,
      "<section id=\"traces\"><details><summary>Both traces as measured (each in "
      "its own hop order)</summary><div class=\"dirs stack\"><div class=\"dir\"><h3 "
      "class=\"fwd\">Forward: ",
      EscapeHtml(forward_label), "</h3>\n", HopTable(report.forward, layout, 0, report.label),
      "</div><div class=\"dir\"><h3 class=\"rev\">Reverse: ", EscapeHtml(reverse_label), "</h3>\n",
      HopTable(report.reverse, layout, 1, report.label), "</div></div></details></section>\n");
  out +=
      "</main>\n<footer>Generated by pathpair. Loss at an intermediate hop that does not "
      "continue to later hops is usually ICMP rate limiting, not packet loss.</footer>\n"
      "</body>\n</html>\n";
  return out;
}

}  // namespace pathpair::html
