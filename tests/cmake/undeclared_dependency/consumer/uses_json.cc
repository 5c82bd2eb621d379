#include <nlohmann/json.hpp>

int UsesJson() { return nlohmann::json::parse("42").get<int>(); }
