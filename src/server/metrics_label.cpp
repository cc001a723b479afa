#include "server/metrics_label.hpp"

#include <sstream>

namespace lowbit::server {

std::string with_label(const std::string& exposition, const std::string& name, const std::string& value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  const std::string label = name + "=\"" + escaped + "\"";
  std::string out;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') {
      // A sample: metric_name[{labels}] value
      const size_t end = line.find_first_of("{ ");
      if (end != std::string::npos && line[end] == '{')
        line.insert(end + 1, line[end + 1] == '}' ? label : label + ",");
      else if (end != std::string::npos)
        line.insert(end, "{" + label + "}");
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace lowbit::server
