// Preloaded with `node -r openhim-compat.js` into the OpenHIM core 4.0.5 master and its cluster workers
// (cluster.fork() re-uses the master's execArgv, so the workers get it too). Started by
// org.chis.openhim.local.OpenHimCore; see openhim-local/README.md.
'use strict'
const path = require('path')
const cluster = require('cluster')

// 1. mongoose 4.13 sends the legacy `$pushAll` update operator when it saves a modified array (e.g. a rerun adding
//    childIDs to the original transaction). MongoDB >= 3.6 and mongo-java-server reject it ("Unknown modifier:
//    $pushAll"); with usePushEach mongoose sends `$push: {$each: [...]}` instead.
const coreDir = path.dirname(require.resolve('openhim-core/package.json', { paths: [__dirname, process.cwd()] }))
const mongoose = require(require.resolve('mongoose', { paths: [coreDir] }))
mongoose.set('usePushEach', true)

// 2. Never outlive the JVM that started us: when OPENHIM_LOCAL_EXIT_WITH_PARENT=1 (set by OpenHimCore), the master
//    exits as soon as its parent process is gone (a test JVM killed with SIGKILL, a surefire fork timeout), so no
//    orphaned core keeps the ports. Workers exit by themselves when their master's IPC channel closes.
if (process.env.OPENHIM_LOCAL_EXIT_WITH_PARENT === '1' && cluster.isMaster) {
  const parent = process.ppid
  setInterval(() => {
    let alive = process.ppid === parent
    if (alive) {
      try { process.kill(parent, 0) } catch (e) { alive = false }
    }
    if (!alive) {
      console.error(`openhim-compat: parent process ${parent} is gone, stopping OpenHIM core`)
      process.exit(0) // the workers see their IPC channel close and exit too
    }
  }, 1000).unref()
}
