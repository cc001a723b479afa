// `lowbit info --system` as users run it: the ISA lowbit chose and the kernel
// each family runs, and a clear error for a LOWBIT_ISA it cannot honour.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace {

struct Output {
  int status;
  std::string text;  // stdout and stderr
};

Output info_system(const std::string& env) {
  const std::string cmd = env + " " + LOWBIT_EXE + " info --system 2>&1";
  Output o{};
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, p)) > 0) o.text.append(buf, k);
  o.status = WEXITSTATUS(pclose(p));
  return o;
}

}  // namespace

TEST(InfoSystem, PrintsTheKernelOfEveryFamily) {
  const Output o = info_system("env -u LOWBIT_ISA");
  ASSERT_EQ(o.status, 0) << o.text;
  for (const char* family : {"ternary GEMV/GEMM", "activation quantizer", "fwht (H-BitLinear)", "a8 table",
                             "int8 (LLM.int8)", "binary (BitLinear v1)", "ternary LUT", "sgemm", "f16 head"})
    EXPECT_NE(o.text.find(family), std::string::npos) << family << "\n" << o.text;
  EXPECT_NE(o.text.find("(CPUID)"), std::string::npos) << o.text;
}

TEST(InfoSystem, LowbitIsaScalarRunsEveryFamilyScalar) {
  const Output o = info_system("LOWBIT_ISA=scalar");
  ASSERT_EQ(o.status, 0) << o.text;
  EXPECT_NE(o.text.find("ISA:       scalar (LOWBIT_ISA)"), std::string::npos) << o.text;
  const std::string kernels = o.text.substr(o.text.find("kernels:"));
  EXPECT_EQ(kernels.find("avx"), std::string::npos) << o.text;
  EXPECT_NE(kernels.find("f16 head               scalar"), std::string::npos) << o.text;
}

TEST(InfoSystem, UnknownLowbitIsaFailsClearly) {
  const Output o = info_system("LOWBIT_ISA=avx1024");
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.text.find("LOWBIT_ISA=avx1024: unknown instruction set (scalar, avx2, avxvnni, avx512 or neon)"),
            std::string::npos)
      << o.text;
}
