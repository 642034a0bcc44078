// Handlers for the interop tests: each exercises one path of the Runtime
// API as AWS's own runtime client speaks it.

// Buffered response: the event and the context fields the client filled
// from the invocation/next headers.
export const buffered = async (event, context) => ({
	echo: event,
	requestId: context.awsRequestId,
	functionName: context.functionName,
	arn: context.invokedFunctionArn,
	remainingMs: context.getRemainingTimeInMillis(),
});

// Handler error: the client posts invocation/{id}/error with its error
// type header and the X-Ray cause header.
export const failing = async () => {
	const e = new Error("interop handler failed on purpose");
	e.name = "InteropError";
	throw e;
};

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Streamed response: chunked, in three writes.
export const streamed = awslambda.streamifyResponse(async (event, stream) => {
	stream.write("chunk-1;");
	await pause(20);
	stream.write("chunk-2;");
	await pause(20);
	stream.end("chunk-3");
});

// An error raised after part of the stream was sent: the client reports
// it in the Lambda-Runtime-Function-Error-Type/-Body trailers.
export const streamFailing = awslambda.streamifyResponse(async (event, stream) => {
	stream.write("partial;");
	await pause(20);
	const e = new Error("stream broke midway");
	e.name = "MidStreamError";
	throw e;
});
