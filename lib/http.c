/*
 * http.c -- what mem-upload and mem-fetch agree on about a failed HTTP
 * request: which answers and which libcurl errors are worth another try,
 * and how long the server asked us to wait.
 */
#include <stdlib.h>

#include <curl/curl.h>

#include "mem.h"

/* Timeouts, rate limits and the server errors that pass: never a 4xx. */
int
http_retryable_status(long status)
{
	return status == 408 || status == 429 || status == 500 || status == 502 ||
	    status == 503 || status == 504;
}

/* Errors of the connection (refused, reset, cut short, timed out). */
int
http_retryable_curl(int rc)
{
	switch ((CURLcode)rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* Seconds the server asked us to wait (Retry-After: N), or 0. */
long
http_retry_after(void *curl_handle)
{
	struct curl_header *hd;
	char *end;
	long v;

	if (curl_easy_header(curl_handle, "Retry-After", 0, CURLH_HEADER, -1,
	    &hd) != CURLHE_OK)
		return 0;
	v = strtol(hd->value, &end, 10);
	return end != hd->value && *end == '\0' && v > 0 ? v : 0;
}
