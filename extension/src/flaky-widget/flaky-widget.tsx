import { startWidget } from "../common/widgets/runtime";
import { FlakyWidget } from "./FlakyWidget";

void startWidget(FlakyWidget);
