"""The SigmaMind API: the HTTP client, retries, errors, tolerant payload models and the scan of test cases."""
