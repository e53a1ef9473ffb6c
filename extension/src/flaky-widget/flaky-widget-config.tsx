import { startConfiguration } from "../common/widgets/runtime";
import { parseFlaky } from "../common/widgets/settings";
import { FlakyConfig } from "./FlakyConfig";

void startConfiguration(parseFlaky, FlakyConfig);
