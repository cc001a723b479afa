// The extension module lowbit._lowbit: each bind_*.cpp adds one group of
// functions; lowbit/*.py builds the public API on top of them.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"

PYBIND11_MODULE(_lowbit, m) {
  m.doc() = "lowbit's C++ library (quantizers, packed kernels, models); use the `lowbit` package";
  // lowbit::Error carries a message meant for the user: it becomes a Python
  // exception (lowbit.LowbitError, a RuntimeError) with that message as is.
  pybind11::register_exception<lowbit::Error>(m, "LowbitError", PyExc_RuntimeError);
  m.def(
      "set_num_threads",
      [](int n) {
        if (n < 1) throw pybind11::value_error("set_num_threads: n must be >= 1");
        lowbit::ThreadPool::set_global_threads(n);
      },
      pybind11::arg("n"), "threads of lowbit's kernels (default: the hardware's)");
  m.def("get_num_threads", [] { return lowbit::ThreadPool::global().size(); });
  lowbit::py::bind_quant(m);
  lowbit::py::bind_formats(m);
  lowbit::py::bind_layers(m);
  lowbit::py::bind_model(m);
  lowbit::py::bind_export(m);
  lowbit::py::bind_convert(m);
}
