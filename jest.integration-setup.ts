// Integration and end-to-end specs start real services and wait for real purges.
jest.setTimeout(120_000);
