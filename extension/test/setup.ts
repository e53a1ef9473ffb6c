import { sdkMock } from "./sdkMock";

beforeEach(() => sdkMock.reset());
