import { execFile, spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import type { ArchiveFormat } from '@recording-vault/archive-index';

/** Turns a recording's stored bytes into the other format, as they stream. */
export interface Transcoder {
  transcode(input: Readable, from: ArchiveFormat, to: ArchiveFormat): Readable;
}

/** ffmpeg's arguments per direction: Twilio's own formats (8 kHz 16-bit PCM WAV, 32 kbps MP3), channels kept. */
const outputArgs: Record<ArchiveFormat, string[]> = {
  mp3: ['-f', 'mp3', '-codec:a', 'libmp3lame', '-b:a', '32k'],
  wav: ['-f', 'wav', '-codec:a', 'pcm_s16le', '-ar', '8000'],
};

/**
 * ffmpeg at `command` when it runs (`-version` answers), else undefined: the API then answers the other
 * format 406, naming the stored one.
 */
export async function ffmpegTranscoder(command = 'ffmpeg'): Promise<Transcoder | undefined> {
  const runs = await new Promise<boolean>((resolve) => {
    execFile(command, ['-hide_banner', '-version'], { timeout: 10_000 }, (error) => resolve(!error));
  });
  if (!runs) return undefined;
  return {
    transcode(input, from, to) {
      const output = new PassThrough();
      const ffmpeg = spawn(
        command,
        ['-hide_banner', '-loglevel', 'error', '-f', from, '-i', 'pipe:0', ...outputArgs[to], 'pipe:1'],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stderr = '';
      ffmpeg.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < 2_000) stderr += chunk.toString('utf8');
      });
      // The stored bytes failing their check (or storage failing) cuts the answer: ffmpeg must not finish
      // what it has as if it were the recording.
      input.once('error', (error) => {
        ffmpeg.kill('SIGKILL');
        output.destroy(error);
      });
      ffmpeg.stdin.on('error', () => {}); // EPIPE when ffmpeg stops early: its exit says why.
      input.pipe(ffmpeg.stdin);
      ffmpeg.stdout.pipe(output, { end: false });
      ffmpeg.once('error', (error) => output.destroy(error));
      ffmpeg.once('close', (code, signal) => {
        if (output.destroyed) return;
        if (code === 0) output.end();
        else
          output.destroy(new Error(`ffmpeg ${signal ?? `exited ${code}`}: ${stderr.trim() || 'no message'}`));
      });
      // A client that goes away stops the work.
      output.once('close', () => {
        if (ffmpeg.exitCode === null) ffmpeg.kill('SIGKILL');
        input.destroy();
      });
      return output;
    },
  };
}
