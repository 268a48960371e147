# Builds the .NET client benchmark and installs the JS client; failures only warn.
if(DOTNET)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
                  ${DOTNET} build ${SRC}/dotnet/SignalRBench.csproj -c Release -nologo -v q -o ${DOTNET_OUT}
                  --artifacts-path ${ARTIFACTS}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(WARNING ".NET client benchmark not built (rc ${rc})")
  endif()
endif()
if(NPM)
  file(MAKE_DIRECTORY ${JS_OUT})
  file(COPY ${SRC}/js/bench.mjs ${SRC}/js/package.json DESTINATION ${JS_OUT})
  execute_process(COMMAND ${NPM} install --no-audit --no-fund --loglevel=error WORKING_DIRECTORY ${JS_OUT} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(WARNING "@microsoft/signalr not installed (rc ${rc})")
  endif()
endif()
