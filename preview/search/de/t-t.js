(window.imSearchData=window.imSearchData||{})["de/t-t"]={"forms":{},"terms":{"text":[1,1],"training":[1,3]}};
