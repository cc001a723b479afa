// The loss curves of a run as an SVG line chart (no plotting library: a
// few dozen lines of SVG are enough and keep the build dependency-free).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace lowbit {

struct LossSeries {
  std::string label;
  std::string color;  // CSS color
  std::vector<std::pair<double, double>> points;  // (step, loss)
};

std::string loss_svg(const std::vector<LossSeries>& series, const std::string& title);

}  // namespace lowbit
