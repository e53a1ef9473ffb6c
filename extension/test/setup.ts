import { configure } from "@testing-library/react";
import { sdkMock } from "./sdkMock";

// findBy*/waitFor wait for what a page shows after its (mocked) calls settle; on a loaded CI machine that
// can take longer than testing-library's default 1 s, and a wait is never a timing claim here.
configure({ asyncUtilTimeout: 10_000 });

beforeEach(() => sdkMock.reset());
