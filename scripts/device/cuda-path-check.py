# GPU check for vstream's NVENC pipeline on a GPU without NVENC (H200): the NVENC probe
# must fail cleanly; vstream's CUDA decode + fps + scale_cuda (+ split/trim) graph must
# give the same frames as the CPU path. ffmpeg: a minimal 5.1.9 build with nvdec/nvenc.
import json, os, subprocess, sys, time
D = '.device'; FF = f'{D}/ffmpeg'; OUT = os.environ.get('OUT', '/tmp/out')
A = json.load(open(f'{D}/args.json'))
PROBE = ',scale=48:27:flags=area,format=gray'
res = {}

def run(args, timeout=120):
    t = time.time()
    p = subprocess.run([FF] + args, capture_output=True, timeout=timeout)
    return {'rc': p.returncode, 'secs': round(time.time() - t, 2), 'stderr': p.stderr.decode(errors='replace')[-1500:]}

def fill(args, src, outs):
    r = []
    for a in args:
        a = a.replace('SRC', src)
        for k, v in outs.items(): a = a.replace(k, v)
        r.append(a)
    i = r.index('-progress'); del r[i:i + 2]
    return r

def indices(path):
    b = open(path, 'rb').read(); n = 48 * 27; out = []
    for off in range(0, len(b) - n + 1, n):
        px = b[off:off + n]
        def band(i):
            vals = [px[y * 48 + x] for y in range(8, 19) for x in range(i * 16 + 4, i * 16 + 12)]
            return max(0, round((sum(vals) / len(vals) - 16) / 14))
        out.append(band(0) + 16 * band(1) + 256 * band(2))
    return out

def single(args, src, name, gpu):
    a = fill(args, src, {'OUT': f'{OUT}/{name}.hevc'})
    i = a.index('-c:v'); frames = a[a.index('-frames:v') + 1]; head = a[:i]
    vf = head.index('-vf'); head[vf + 1] += (',hwdownload,format=nv12' if gpu else '') + PROBE
    gray = f'/tmp/{name}.gray'
    r = run(head + ['-frames:v', frames, '-f', 'rawvideo', gray])
    r['frames'] = indices(gray) if r['rc'] == 0 else None
    return r

res['nvidia_smi'] = subprocess.run(['sh', '-c', 'nvidia-smi -L 2>&1 || true'], capture_output=True, text=True).stdout
res['node'] = subprocess.run(['sh', '-c', 'command -v node ffmpeg || true'], capture_output=True, text=True).stdout
res['probe'] = run(A['probe'])
res['nvenc_exact'] = run(fill(A['clip_nvenc'], f'{D}/src60.mp4', {'OUT': f'{OUT}/exact.hevc'}))
res['cuda_h264'] = single(A['clip_nvenc'], f'{D}/src60.mp4', 'cuda_h264', True)
res['cpu_h264'] = single(A['clip_x265'], f'{D}/src60.mp4', 'cpu_h264', False)
res['cuda_vp9'] = single(A['clip_nvenc'], f'{D}/vp960.webm', 'cuda_vp9', True)
res['cpu_vp9'] = single(A['clip_x265'], f'{D}/vp960.webm', 'cpu_vp9', False)
p = fill(A['pass_nvenc'], f'{D}/src60.mp4', {})
fc = p.index('-filter_complex')
p[fc + 1] = p[fc + 1].replace('setsar=1[o', f'setsar=1,hwdownload,format=nv12{PROBE}[o')
head = p[:p.index('-map')]
r = run(head + ['-map', '[o0]', '-frames:v', '30', '-f', 'rawvideo', '/tmp/p0.gray',
                '-map', '[o1]', '-frames:v', '45', '-f', 'rawvideo', '/tmp/p1.gray'])
r['frames'] = [indices('/tmp/p0.gray'), indices('/tmp/p1.gray')] if r['rc'] == 0 else None
res['cuda_pass'] = r
res['expected'] = {'clip_30_60': [2 * f for f in range(30, 60)], 'pass_45_90': [2 * f for f in range(45, 90)]}
json.dump(res, open(f'{OUT}/result.json', 'w'), indent=1)
for k, v in res.items():
    if isinstance(v, dict) and 'rc' in v:
        fr = v.get('frames')
        same = None
        if k.startswith('cuda') and k != 'cuda_pass': same = fr == res[k.replace('cuda', 'cpu')].get('frames')
        print(k, 'rc', v['rc'], 'secs', v['secs'], 'frames', (fr[:3], fr[-3:]) if fr and k != 'cuda_pass' else fr and [(x[0], x[-1], len(x)) for x in fr], 'same_as_cpu', same)
        if v['rc'] != 0: print('  stderr:', v['stderr'][-400:].replace('\n', ' | '))
    else:
        print(k, str(v)[:300])
