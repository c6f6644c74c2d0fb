#!/usr/bin/env python3
# Cue-energy check (a research script; Python 3 standard library and ffmpeg): does a FoleyWorld class's cause change
# the picture where it stands when its sound starts? For the first N clips of CORPUS with on-screen events of CLASS,
# each frame's sum of |frame − previous frame| (grey, the frame area-scaled to SIZE×SIZE) in a square of ±8 % of the
# frame around the cause (the median x, y of its events), and the AUC of that energy for the first frame at or after
# each of its onsets against every other frame. Motion that marks an onset by a change of direction (a pendulum at its
# extreme) does not show here; an appearance that changes at the onset (a beak opening) or a fast approach does.
# Usage: bench/cue-energy/cue.py CORPUS CLASS SIZE N   e.g. bench/cue-energy/cue.py .v2a/train-default/corpus bird 64 25
import json, math, subprocess, sys
corpus=sys.argv[1]
cls=sys.argv[2]; size=int(sys.argv[3]); maxclips=int(sys.argv[4])
W=size
def frames(path):
    raw=subprocess.run(['ffmpeg','-loglevel','error','-i',path,'-vf',f'scale={W}:{W}:flags=area,format=gray','-f','rawvideo','-'],capture_output=True).stdout
    n=len(raw)//(W*W)
    return [raw[i*W*W:(i+1)*W*W] for i in range(n)]
pos=[];neg=[]
clips=0
for l in open(corpus+'/meta.jsonl'):
    j=json.loads(l)
    ev=[e for e in j['events'] if e['class']==cls and e['on_screen'] and e['x'] is not None]
    if not ev: continue
    clips+=1
    if clips>maxclips: break
    fr=frames(corpus+'/'+j['video'])
    onset_frames=set(math.ceil(e['t_start']*25-1e-9) for e in ev)
    # window around the source's position (median of its events), radius 8% of the frame
    xs=sorted(e['x'] for e in ev); ys=sorted(e['y'] for e in ev)
    cx=int(xs[len(xs)//2]*W); cy=int(ys[len(ys)//2]*W); r=max(2,int(0.08*W))
    x0,x1=max(0,cx-r),min(W,cx+r+1); y0,y1=max(0,cy-r),min(W,cy+r+1)
    for f in range(1,len(fr)):
        a=fr[f];b=fr[f-1]
        e=0
        for y in range(y0,y1):
            o=y*W
            for x in range(x0,x1):
                e+=abs(a[o+x]-b[o+x])
        (pos if f in onset_frames else neg).append(e)
# AUC
allv=sorted([(v,1) for v in pos]+[(v,0) for v in neg])
rank=0;rs=0;i=0
while i<len(allv):
    k=i
    while k<len(allv) and allv[k][0]==allv[i][0]: k+=1
    avg=(i+k+1)/2
    rs+=avg*sum(1 for q in allv[i:k] if q[1]==1)
    i=k
auc=(rs-len(pos)*(len(pos)+1)/2)/(len(pos)*len(neg))
print(f'{cls} at {W}: clips {min(clips,maxclips)}, onset frames {len(pos)}, others {len(neg)}, AUC of local frame-difference energy {auc:.3f}, mean at onset {sum(pos)/len(pos):.1f} vs {sum(neg)/len(neg):.1f}')
