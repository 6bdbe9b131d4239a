#include "daemon/status/funnel_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "daemon/status/markup.h"

namespace journeyd::status {

namespace {

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string Days(double days) {
  if (days < 1.0) return Format("%.1f h", days * 24.0);
  return Format("%.1f d", days);
}

}  // namespace

std::string RenderFunnelSvg(const journey::JourneyKpis& kpis) {
  constexpr int kWidth = 760, kLabel = 130, kBarMax = 380, kRow = 30, kGap = 26, kTop = 30;
  const int rows = static_cast<int>(kpis.stages.size());
  const int height = kTop + rows * kRow + std::max(0, rows - 1) * kGap + 56;
  int64_t widest = 1;
  for (const auto& s : kpis.stages) widest = std::max(widest, s.entered);

  std::string svg;
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" class=\"funnel\" width=\"" +
         std::to_string(kWidth) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
         std::to_string(kWidth) + " " + std::to_string(height) +
         "\" font-family=\"system-ui, sans-serif\" font-size=\"13\">";
  svg += "<title>Journey funnel: profiles that reached each stage</title>";
  svg += "<text x=\"0\" y=\"16\" font-weight=\"600\">" + std::to_string(kpis.profiles) +
         " profiles</text>";
  svg += "<text x=\"" + std::to_string(kLabel + kBarMax + 16) +
         "\" y=\"16\" fill=\"#555\">reached &#183; in it now</text>";
  int y = kTop;
  for (int i = 0; i < rows; ++i) {
    const journey::StageCount& stage = kpis.stages[static_cast<size_t>(i)];
    const int bar = stage.entered == 0
                        ? 2
                        : std::max(2, static_cast<int>(std::lround(
                                          static_cast<double>(kBarMax) *
                                          static_cast<double>(stage.entered) /
                                          static_cast<double>(widest))));
    const int x = kLabel + (kBarMax - bar) / 2;
    const std::string name = EscapeMarkup(stage.stage);
    svg += "<g class=\"stage\" data-stage=\"" + name + "\" data-entered=\"" +
           std::to_string(stage.entered) + "\" data-current=\"" + std::to_string(stage.current) +
           "\">";
    svg += "<text x=\"0\" y=\"" + std::to_string(y + 20) + "\">" + name + "</text>";
    svg += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
           std::to_string(bar) + "\" height=\"" + std::to_string(kRow) +
           "\" rx=\"3\" fill=\"#2f6fab\"/>";
    svg += "<text x=\"" + std::to_string(kLabel + kBarMax + 16) + "\" y=\"" +
           std::to_string(y + 20) + "\">" + std::to_string(stage.entered) + " &#183; " +
           std::to_string(stage.current) + "</text>";
    svg += "</g>";
    y += kRow;
    if (i + 1 < rows) {
      // The conversion between this stage and the next one, if the KPIs have that pair.
      const auto& next = kpis.stages[static_cast<size_t>(i + 1)];
      const auto it = std::find_if(kpis.conversion.begin(), kpis.conversion.end(),
                                   [&](const journey::StageConversion& c) {
                                     return c.from == stage.stage && c.to == next.stage;
                                   });
      std::string text;
      if (it != kpis.conversion.end()) {
        text = it->rate ? Format("%.1f%%", *it->rate * 100.0) + " converted" : "no entries";
        if (it->median_days) text += ", median " + Days(*it->median_days);
        text += ", " + std::to_string(it->dropped) + " dropped off";
        svg += "<text class=\"conversion\" data-from=\"" + EscapeMarkup(it->from) + "\" data-to=\"" +
               EscapeMarkup(it->to) + "\" data-converted=\"" + std::to_string(it->converted) +
               "\" x=\"" + std::to_string(kLabel + kBarMax / 2) + "\" y=\"" +
               std::to_string(y + 17) + "\" text-anchor=\"middle\" fill=\"#555\">&#8595; " +
               EscapeMarkup(text) + "</text>";
      }
      y += kGap;
    }
  }
  y += 30;
  svg += "<text class=\"risk\" x=\"0\" y=\"" + std::to_string(y) + "\" fill=\"#a15c00\">" +
         std::to_string(kpis.at_risk) + " at risk &#183; " + std::to_string(kpis.churned) +
         " churned</text>";
  svg += "</svg>";
  return svg;
}

}  // namespace journeyd::status
