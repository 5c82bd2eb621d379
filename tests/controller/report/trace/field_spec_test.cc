#include "controller/report/trace/field_spec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/report/trace/sample_trace.h"

namespace pathpair::formats {
namespace {

using ::testing::HasSubstr;

TEST(FieldSpecTest, DefaultOrderRoundTrips) {
  absl::StatusOr<FieldList> fields = ParseFieldSpec("LS NABWV");
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_EQ(fields->size(), 8u);
  EXPECT_EQ(FieldSpecOf(*fields), "LS NABWV");
}

TEST(FieldSpecTest, TitlesAreRightAlignedInMtrWidths) {
  absl::StatusOr<FieldList> fields = ParseFieldSpec("LS NABWV");
  ASSERT_TRUE(fields.ok());
  // Exactly what follows the 33-column name in mtr's report header.
  EXPECT_EQ(FormatFieldTitles(*fields), " Loss%   Snt   Last   Avg  Best  Wrst StDev");
  EXPECT_EQ(FieldsWidth(*fields), 43);
}

TEST(FieldSpecTest, JitterSetTitles) {
  absl::StatusOr<FieldList> fields = ParseFieldSpec(kJitterFields);
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(FormatFieldTitles(*fields), " Drop   Rcv    Avg Gmean Jttr Javg Jmax Jint");
}

TEST(FieldSpecTest, RejectsUnknownLettersAndTooMany) {
  absl::StatusOr<FieldList> bad = ParseFieldSpec("LSQ");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("'Q'"));
  EXPECT_FALSE(ParseFieldSpec("").ok());
  EXPECT_FALSE(ParseFieldSpec(std::string(21, 'L')).ok());
  EXPECT_TRUE(ParseFieldSpec(std::string(20, 'L')).ok());
  EXPECT_FALSE(ParseFieldSpec(std::string("L\x01", 2)).ok());
  EXPECT_FALSE(ParseFieldSpec("l").ok());  // mtr's letters are upper case
}

TEST(FieldSpecTest, CellsUseMtrFormats) {
  const v1::TraceResult trace = testing::SampleTrace();
  absl::StatusOr<FieldList> fields = ParseFieldSpec("LSDR NBAWV");
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(FormatFieldCells(*fields, trace.hops(2)),
            " 66.7%     3    2     1   12.5  12.5  12.5  12.5   0.2");
}

TEST(FieldSpecTest, OverwideCellIsOverwrittenByTheNextAsInMtr) {
  v1::HopResult hop = testing::MakeHop(1, 3, 3, 12345.6, 12345.6, 12345.6);
  absl::StatusOr<FieldList> fields = ParseFieldSpec("BA");
  ASSERT_TRUE(fields.ok());
  // " 12345.6" is 8 wide in a 6 column: the next cell starts at offset 6.
  EXPECT_EQ(FormatFieldCells(*fields, hop), " 12345 12345.6");
}

}  // namespace
}  // namespace pathpair::formats
