#include "controller/report/paired/paired_text_report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
namespace { TEST(X, Y) {} }
