// The results webview (built in the results-view work).
